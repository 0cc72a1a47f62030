"""Service levels, ratings and reports in the browser: the agents' SLA timers, the customer's and
the guest's rating form, and the supervisors' reports page with its charts and CSV link."""
from __future__ import annotations

import re

import pytest

from tests.e2e.harness import create_agent
from tests.web import data

pytestmark = pytest.mark.e2e
AGENT_PASSWORD = "agent password 1"


def data_of(driver, selector: str, name: str):
    """An element's data attribute, read in one step (the scripts re-render the elements)."""
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e && e.dataset[arguments[1]];",
                                 selector, name)


def background(browser, selector: str) -> str:
    return browser.driver.execute_script("return getComputedStyle(document.querySelector(arguments[0])).backgroundColor",
                                         selector)


# [state, text] of sla.js's `describe` for targets due in 3 hours, in 95 seconds, 125 seconds ago, and paused.
COUNTDOWNS = """
const done = arguments[arguments.length - 1];
import(document.querySelector('script[src*="js/sla.js"]').src).then(({ describe }) => {
  const target = (seconds) => ({ due_at: new Date(Date.now() + seconds * 1000).toISOString(), achieved_at: null,
                                 breached: false, paused: false });
  done([describe(target(3 * 3600 + 30)), describe(target(95)), describe(target(-125)),
        describe({ ...target(60), due_at: null, paused: true })]);
}, (error) => done([["error", String(error)]]));
"""


ROWS = ("return [...document.querySelectorAll('#queue-rows tr')].map((row) => ({ number: row.id.slice(6),"
        " due: row.querySelector('.sla-timer') ? row.querySelector('.sla-timer').dataset.due : null }))")


def test_agents_see_the_timers_of_a_ticket_and_the_queue(browser, product, support_agent):
    customer = data.customer(product)
    sooner = data.ticket(customer, subject="Account locked", category="account_security")["number"]  # due in 1 h
    number = data.ticket(customer, subject="Deposit late", category="deposit_withdrawal")["number"]  # newer, in 2 h
    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.wait_text("#sla-due-next", number)
    browser.choose("#f-sort", "sla")  # the queue by the nearest due time, each row with its countdown
    browser.click("#apply-filters")
    by_sla = support_agent.get("/api/v1/agent/tickets?status=open,awaiting_user&sort=sla&limit=25").json()["items"]
    listed = [item["number"] for item in by_sla]
    assert by_sla[0]["sla_due_at"] and listed.index(sooner) < listed.index(number)
    browser.wait().until(lambda d: [row["number"] for row in d.execute_script(ROWS)] == [i["number"] for i in by_sla])
    rows = browser.driver.execute_script(ROWS)
    assert [row["due"] for row in rows] == [item["sla_due_at"] for item in by_sla]
    assert data_of(browser.driver, f"#queue-{number} .sla-timer", "slaState") == "running"
    browser.open(f"/agent/tickets/{number}")
    browser.visible("#sla-first-response")
    browser.wait().until(lambda d: data_of(d, "#sla-first-response", "slaState") == "running")
    assert "due in 1 h" in browser.text_of("#sla-first-response") or "due in 2 h" in browser.text_of("#sla-first-response")
    assert browser.find("#sla-next-response").get_attribute("data-sla-state") == "idle"
    assert "null" not in browser.text_of("#sla-box")
    assert background(browser, "#sla-first-response") == "rgb(230, 244, 234)"  # running: green
    assert background(browser, "#sla-next-response") == "rgb(241, 242, 244)"  # idle: grey
    # The countdown and its colours at other distances from the due time, by the page's own module.
    states = browser.driver.execute_async_script(COUNTDOWNS)
    assert [state for state, _ in states] == ["running", "soon", "breached", "paused"], states
    assert re.fullmatch(r"due in 3 h 0[01] min", states[0][1]) and re.fullmatch(r"due in 1 min \d\d s", states[1][1])
    assert re.fullmatch(r"overdue by 2 min \d\d s", states[2][1]), states
    browser.screenshot("agent-sla-timers")
    data.agent_message(support_agent, number, "We are on it.")
    browser.open(f"/agent/tickets/{number}")
    browser.wait().until(lambda d: data_of(d, "#sla-first-response", "slaState") == "met")
    assert background(browser, "#sla-first-response") == "rgb(238, 243, 251)"  # met: blue
    assert browser.console_errors() == []


def test_the_customer_rates_a_resolved_ticket(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Fee question", category="trading_fees_limits")["number"]
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open(f"/support/tickets/{number}")
    browser.wait_text("#ticket-subject", "Fee question")
    assert not browser.find("#rating-section").is_displayed()
    assert support_agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    browser.open(f"/support/tickets/{number}")
    browser.visible("#rating-form")
    browser.click("#rating-bad")
    browser.type("#rating-comment", "Too slow")
    browser.click("#send-rating")
    browser.wait_toast("Thank you for your rating.")
    assert browser.find("#rating-current").get_attribute("data-rating") == "bad"
    browser.click("#rating-good")
    browser.click("#send-rating")
    browser.wait().until(lambda d: data_of(d, "#rating-current", "rating") == "good")
    assert customer.get(f"/api/v1/tickets/{number}").json()["satisfaction"]["rating"] == "good"
    browser.screenshot("customer-rating")
    assert browser.console_errors() == []
    browser.log_in_as(support_agent.email, AGENT_PASSWORD)  # the agent sees the rating on the ticket
    browser.open(f"/agent/tickets/{number}")
    browser.wait().until(lambda d: data_of(d, "#sla-rating", "rating") == "good")
    assert "Too slow" in browser.text_of("#sla-rating")  # the comment, kept by the form when the rating changed


def test_a_guest_rates_through_the_ticket_page(browser, product, web_mailbox, support_agent):
    number = data.verified_guest(browser, product, web_mailbox, "Card declined", category="other",
                                 description="My card fails.")
    assert not browser.exists("#rating-form")
    assert support_agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    browser.open(f"/support/tickets/{number}")
    browser.click("#rating-good")
    browser.click("#send-rating")
    browser.visible("#rating-sent")
    assert browser.find("#rating-current").get_attribute("data-rating") == "good"
    browser.screenshot("guest-rating")


def test_a_supervisor_reads_the_reports(browser, product, support_agent):
    supervisor = create_agent(product, supervisor=True)
    customer = data.customer(product)
    data.ticket(customer, subject="For the report", category="wallet")
    browser.log_in_as(supervisor.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.click("#reports-link")
    browser.wait().until(lambda d: d.current_url.endswith("/agent/reports"))
    browser.visible("#fig-created")
    assert int(browser.text_of("#fig-created")) >= 1
    assert browser.count("#report svg.report-chart") == 3
    assert browser.count("#chart-backlog rect") == 4
    loaded = browser.driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name).concat([location.href]);")
    assert loaded and all(url.startswith(product.base_url + "/") for url in loaded), loaded  # nothing from outside
    browser.set_datetime("#r-from", "2020-01-01")
    browser.type("#r-department", "compliance")
    browser.choose("#r-tier", "senior")
    browser.click("#apply-report-filters")
    browser.wait().until(lambda d: "from=2020-01-01" in browser.attrs("#report-csv", "href")[0])
    csv_link = browser.attrs("#report-csv", "href")[0]
    assert "department=compliance" in csv_link and "tier=senior" in csv_link  # the CSV takes the same filters
    browser.screenshot("reports")
    assert browser.console_errors() == []
    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open("/agent/reports")
    browser.wait().until(lambda d: d.current_url.endswith("/agent"))
