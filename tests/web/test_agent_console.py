"""The agents' console in the browser: queues by status, tier, department, assignee and
age; a ticket with internal notes set apart; reply, ask for details, note, assign,
resolve; proposing video slots and recording an outcome; a senior agent accepting an
escalation."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.harness import wait_for
from tests.web import data

pytestmark = pytest.mark.e2e
AGENT_PASSWORD = "agent password 1"


def send(browser, kind: str, text: str) -> None:
    browser.click(f"#kind-{kind}")
    browser.type("#agent-body", text)
    browser.click("#agent-send")
    browser.wait_text("#history", text)


def test_queue_filters_and_working_a_ticket(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="USDT deposit missing", category="deposit_withdrawal")["number"]
    # Round robin may have given it to an available agent: back to the queue, for the unassigned filter.
    assert support_agent.post(f"/api/v1/agent/tickets/{number}/assign", json={"agent_id": None}).status_code == 200
    # The session's product holds many older open tickets, and the queue shows the oldest first:
    # a tag of this test's own keeps its ticket on the first page whatever ran before.
    tag = f"console-{number}"
    assert support_agent.put(f"/api/v1/agent/tickets/{number}/tags", json={"tags": [tag]}).status_code == 200

    browser.open("/login")
    browser.type("#email", support_agent.email)
    browser.type("#password", AGENT_PASSWORD)
    browser.click("#login-submit")
    browser.type("#mfa-code", support_agent.mfa.next_code())  # agents sign in with 2FA
    browser.click("#mfa-submit")
    browser.wait().until(lambda d: d.current_url.endswith("/agent"))
    browser.type("#f-tag", tag)
    browser.click("#apply-filters")
    browser.visible(f"#queue-{number}")
    browser.screenshot("agent-queue")

    browser.choose("#f-assignee", "none")
    browser.choose("#f-tier", "standard")
    browser.click("#apply-filters")
    browser.visible(f"#queue-{number}")
    browser.choose("#f-age", "24")  # a ticket made a moment ago is not older than a day
    browser.click("#apply-filters")
    browser.gone(f"#queue-{number}")
    browser.choose("#f-age", "")
    browser.choose("#f-status", "resolved")
    browser.click("#apply-filters")
    browser.gone(f"#queue-{number}")
    browser.click("#view-queue")
    browser.click(f"#queue-{number} a")

    browser.wait().until(lambda d: d.current_url.endswith(f"/agent/tickets/{number}"))
    browser.wait_text("#ticket-subject", "USDT deposit missing")
    assert customer.email in browser.text_of("#fact-requester")
    send(browser, "note", "Checked the chain: the transfer is confirmed.")
    note = browser.find("#history li.note")
    assert "not visible to the customer" in note.text
    assert "Checked the chain" in note.text
    send(browser, "info_request", "Please send the deposit address you used.")
    browser.wait().until(lambda d: browser.find("#ticket-status").get_attribute("data-status") == "awaiting_user")
    send(browser, "reply", "We found your deposit; it will be credited shortly.")
    browser.click("#assign-me")
    browser.wait_text("#fact-assignee", "Me")
    browser.screenshot("agent-ticket")

    browser.set_datetime("#slot-start-1", (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00"))
    browser.click("#add-slot")
    browser.set_datetime("#slot-start-2", (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT15:00"))
    browser.click("#propose")
    browser.visible(".agent-call[data-status=proposed]")
    offered = customer.get("/api/v1/video-calls").json()["items"]
    assert [(call["ticket_number"], len(call["slots"])) for call in offered] == [(number, 2)]

    browser.click("#resolve")
    browser.wait().until(lambda d: browser.find("#ticket-status").get_attribute("data-status") == "resolved")

    seen = customer.get(f"/api/v1/tickets/{number}").json()
    bodies = [message["body"] for message in seen["messages"]]
    assert "We found your deposit; it will be credited shortly." in bodies
    assert "Please send the deposit address you used." in bodies
    assert not any("Checked the chain" in body for body in bodies)  # the note stays with support
    assert seen["status"] == "resolved"
    assert support_agent.get(f"/api/v1/agent/tickets/{number}").json()["assignee_id"] == support_agent.user["id"]


def test_recording_a_video_call_outcome(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Verify my identity", category="video_verification")["number"]
    start = data.now() + dt.timedelta(minutes=1)
    call = data.propose(support_agent, number, start)
    booked = customer.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": call["slots"][0]["start"]})
    assert booked.status_code == 200, booked.text

    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open(f"/agent/tickets/{number}")
    browser.visible(f"#agent-call-{call['id']}[data-status=booked]")
    browser.click(f"#agent-join-{call['id']}")
    browser.visible(f"#agent-call-{call['id']} .room a")
    browser.choose(f"#outcome-{call['id']}", "verified")
    browser.type(f"#outcome-note-{call['id']}", "Passport matched the account holder.")
    browser.click(f"#record-outcome-{call['id']}")
    browser.visible(f"#agent-call-{call['id']}[data-status=completed]")
    assert customer.get(f"/api/v1/video-calls/{call['id']}").json()["call"]["outcome"] == "verified"
    history = wait_for(lambda: (lambda text: text if "Passport matched" in text else None)(
        " ".join(m["body"] for m in support_agent.get(f"/api/v1/agent/tickets/{number}").json()["messages"])),
        timeout=20, message="the outcome in the ticket's history")
    assert "verified" in history


def test_a_senior_agent_accepts_an_escalation(browser, product, support_agent, senior_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Account frozen", category="account_security")["number"]
    escalated = customer.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Frozen for a week."})
    assert escalated.status_code == 201, escalated.text

    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.click("#view-escalated")
    browser.visible("#queue-empty")  # the senior tier's, not the standard agent's

    browser.reset()
    browser.log_in_as(senior_agent.email, AGENT_PASSWORD)
    browser.open("/agent")
    browser.click("#view-escalated")
    assert "Escalated" in browser.wait_text(f"#queue-{number}", "Escalated")
    browser.click(f"#queue-{number} a")
    assert "Frozen for a week." in browser.visible("#escalation-text").text
    browser.click("#accept-escalation")
    browser.wait().until(lambda d: not browser.find("#accept-escalation").is_displayed())
    assert "accepted" in browser.text_of("#escalation-text")
    browser.wait_text("#fact-assignee", "Me")
    assert customer.get(f"/api/v1/tickets/{number}").json()["escalation"]["status"] == "accepted"
