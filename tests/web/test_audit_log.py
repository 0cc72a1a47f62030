"""The supervisors' audit log page: the events in a table, filtered, and the same filters
as the CSV download; a plain agent has no such page."""
from __future__ import annotations

import pytest

from tests.e2e.harness import create_agent
from tests.web import data

pytestmark = pytest.mark.e2e
AGENT_PASSWORD = "agent password 1"


def test_a_supervisor_reads_and_filters_the_audit_log(browser, product, support_agent):
    supervisor = create_agent(product, supervisor=True)
    customer = data.customer(product)
    number = data.ticket(customer, subject="Withdrawal stuck", category="deposit_withdrawal")["number"]
    assert support_agent.get(f"/api/v1/agent/tickets/{number}").status_code == 200  # audited

    browser.log_in_as(supervisor.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.click("#audit-link")
    browser.wait().until(lambda d: d.current_url.endswith("/agent/audit"))
    browser.wait_text("#audit-rows", support_agent.email)
    browser.screenshot("audit-log")

    browser.type("#a-ticket", number)
    browser.type("#a-action", "ticket.viewed")
    browser.click("#apply-audit-filters")
    browser.wait().until(lambda d: browser.count("#audit-rows tr") == 1)
    assert support_agent.email in browser.text_of("#audit-rows")
    assert number in browser.text_of("#audit-rows")
    href = browser.attrs("#download-csv", "href")[0]
    assert f"ticket={number}" in href and "action=ticket.viewed" in href
    assert browser.console_errors() == []

    browser.type("#a-action", "message.redacted")
    browser.click("#apply-audit-filters")
    browser.visible("#audit-empty")


def test_a_plain_agent_is_sent_back_to_the_console(browser, support_agent):
    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.visible("#queue-rows")
    assert not browser.exists("#audit-link")
    browser.open("/agent/audit")
    browser.wait().until(lambda d: d.current_url.endswith("/agent"))
