"""Agents hear of the tickets they hold (customers' replies, escalations, ratings, assignments), supervisors of
the unassigned tickets' breaches; requesters of a merge; the resolution notice asks for a rating. On the real
RabbitMQ with a real SMTP server, on SQLite and PostgreSQL."""
import pytest

from services.notifications.agent_notices import SUPERVISORS, compose_for_agents
from services.notifications.models import Agent, Contact, Notification, db
from services.notifications.notices import compose
from tests.notifications.conftest import PUBLIC_URL, As
from tests.notifications.support import (
    agent_changed,
    html_part,
    message_added,
    plain_part,
    registered,
    requester,
    status_changed,
    ticket_event,
    wait_until,
)


def agent(user_id: int) -> dict:
    return {"kind": "user", "user_id": user_id, "role": "agent", "email": f"agent{user_id}@example.com"}


@pytest.mark.parametrize("envelope, topic, kind", [
    (message_added("1", requester(1), author_role="customer", assignee_id=50), "agent_ticket_reply", "assigned_tickets"),
    (message_added("1", requester(None, "g@example.com"), author_role="guest", assignee_id=50), "agent_ticket_reply",
     "assigned_tickets"),
    (ticket_event("ticket.escalated.v1", "1", requester(1), 50, escalation_id=3), "agent_ticket_escalated",
     "assigned_tickets"),
    (ticket_event("ticket.assigned.v1", "1", requester(1), 50, previous_assignee_id=None, assigned_by="auto"),
     "agent_ticket_assigned", "assigned_tickets"),
    (ticket_event("ticket.rated.v1", "1", requester(1), 50, rating="bad", comment="slow"), "agent_ticket_rated_bad",
     "satisfaction"),
    (ticket_event("ticket.sla_breached.v1", "1", requester(1), 50, metric="next_response",
                  due_at="2025-01-01T00:00:00Z"), "agent_sla_next_response", "sla_breaches"),
])
def test_the_assignee_hears_of_the_ticket(envelope, topic, kind):
    [notice] = compose_for_agents(envelope)
    assert (notice.topic, notice.kind, notice.audience.user_id, notice.page) == (topic, kind, 50, "/agent/tickets/1")
    assert notice.for_inbox and not notice.guest_ticket


@pytest.mark.parametrize("envelope", [
    message_added("1", requester(1), author_role="agent", assignee_id=50),  # the requester's, not the agent's
    message_added("1", requester(1), author_role="customer"),  # nobody holds it
    ticket_event("ticket.escalated.v1", "1", requester(1), None, escalation_id=3),
    ticket_event("ticket.assigned.v1", "1", requester(1), None, previous_assignee_id=50, assigned_by="agent"),
    ticket_event("ticket.assigned.v1", "1", requester(1), 50, previous_assignee_id=None, assigned_by="agent",
                 assigned_by_id=50),  # took it themselves
])
def test_what_tells_no_agent_anything(envelope):
    assert compose_for_agents(envelope) == []


def test_an_unassigned_breach_goes_to_the_supervisors_and_a_merge_to_the_requester():
    [breach] = compose_for_agents(ticket_event("ticket.sla_breached.v1", "7", requester(1), None,
                                               metric="first_response", due_at="2025-01-01T00:00:00Z"))
    assert breach.audience.group == SUPERVISORS and not breach.audience.is_user
    merged = compose(ticket_event("ticket.merged.v1", "7", requester(None, "g@example.com"), 50,
                                  into_number="8", into_subject="Deposit"))
    assert (merged.topic, merged.page, merged.ticket_number, merged.params["into_number"]) == (
        "ticket_merged", "/support/tickets/8", "8", "8")
    assert merged.guest_ticket


def test_agents_have_their_own_kinds_with_email_off(client, alice):
    ana = As(client, agent(50))
    assert ana.get("/api/v1/notification-preferences").get_json() == {
        "push": {"assigned_tickets": True, "satisfaction": True, "sla_breaches": True},
        "email": {"assigned_tickets": False, "satisfaction": False, "sla_breaches": False}, "quiet_hours": None,
        "email_digest": False}
    changed = ana.put("/api/v1/notification-preferences", json={"email": {"assigned_tickets": True}})
    assert changed.status_code == 200 and changed.get_json()["email"]["assigned_tickets"] is True
    refused = ana.put("/api/v1/notification-preferences", json={"email": {"rewards": True}})
    assert refused.status_code == 400 and "rewards" in str(refused.get_json()["error"]["details"])
    assert alice.put("/api/v1/notification-preferences", json={"push": {"sla_breaches": False}}).status_code == 400
    assert set(alice.get("/api/v1/notification-preferences").get_json()["push"]) == {
        "ticket_updates", "video_calls", "rewards"}


def inbox(user_id: int) -> list:
    with db.connection_context():
        return list(Notification.select().where(Notification.user_id == user_id).order_by(Notification.id))


def directory() -> tuple[int, int]:
    with db.connection_context():
        return Agent.select().count(), Contact.select().count()


def test_agents_and_supervisors_are_told_by_inbox_and_by_email_when_they_ask(start_worker, database_url, broker,
                                                                            smtp):
    app = start_worker(database_url, EMAIL_SENDERS=1)  # one email consumer: the email jobs go in their order
    broker.publish(agent_changed(50, "Ana@Example.com", locale="es"),
                   agent_changed(51, "sam@example.com", roles=("supervisor",), department="compliance"),
                   agent_changed(52, "sue@example.com", roles=("supervisor",), department="wallets"),
                   registered(1, "alice@example.com"))
    wait_until(lambda: directory() == (3, 4), message="the directory")
    reply = message_added("12345678", requester(1), author_role="customer", assignee_id=50, message_id=7)
    # Twice: one item. Then an email to the customer, whose job comes after the reply's: once it is sent, the
    # reply's email was weighed (and not sent: agents' email is off), before Ana turns hers on below.
    broker.publish(reply, reply, status_changed("12345678", requester(1), "resolved"))
    [item] = wait_until(lambda: inbox(50), message="the assignee's inbox item")
    assert item.link == f"{PUBLIC_URL}/agent/tickets/12345678"
    assert item.title == "El cliente respondió en el ticket 12345678" and item.kind == "assigned_tickets"
    [asked] = smtp.wait_for(1)
    assert asked["To"] == "alice@example.com"
    assert [i.topic for i in inbox(1)] == ["ticket_resolved"]  # the customer's own reply: nothing

    ana = As(app.test_client(), agent(50))
    assert ana.put("/api/v1/notification-preferences",
                   json={"email": {"assigned_tickets": True, "sla_breaches": True}}).status_code == 200
    broker.publish(ticket_event("ticket.escalated.v1", "12345678", requester(1), 50, escalation_id=2),
                   ticket_event("ticket.sla_breached.v1", "23456789", requester(1), None, metric="resolution",
                                 due_at="2025-01-01T00:00:00Z", department="compliance"),
                   ticket_event("ticket.rated.v1", "12345678", requester(1), 50, rating="good", comment=None))
    wait_until(lambda: len(inbox(50)) == 3 and inbox(51), message="the escalation, rating and breach")
    assert [i.topic for i in inbox(50)] == ["agent_ticket_reply", "agent_ticket_escalated", "agent_ticket_rated_good"]
    assert [i.topic for i in inbox(51)] == ["agent_sla_resolution"] and inbox(52) == []
    escalated = smtp.wait_for(2)[1]
    assert escalated["To"] == "ana@example.com" and escalated["Subject"] == "El ticket 12345678 se escaló"
    assert f"{PUBLIC_URL}/agent/tickets/12345678" in plain_part(escalated)
    wait_until(lambda: len(inbox(1)) == 1 and len(smtp.messages) == 2, message="no other email (ratings and sam: off)")


def test_merge_tells_the_requester_in_their_language_and_resolution_asks_for_a_rating(start_worker, database_url,
                                                                                     broker, smtp):
    start_worker(database_url)
    broker.publish(registered(1, "alice@example.com", "es"))
    wait_until(lambda: directory() == (0, 1), message="the address book")
    broker.publish(ticket_event("ticket.merged.v1", "12345678", requester(1), 50, into_number="23456789",
                                into_subject="Deposit missing"),
                   status_changed("23456789", requester(1), "resolved"))
    merged, resolved = wait_until(lambda: len(inbox(1)) == 2 and inbox(1), message="the two inbox items")
    assert merged.title == "El ticket 12345678 se unió al ticket 23456789"
    assert merged.link == f"{PUBLIC_URL}/support/tickets/23456789"
    assert "Valora" in resolved.body
    resolved_email, merged_email = sorted(smtp.wait_for(2), key=lambda m: m["Subject"])
    assert merged_email["Subject"] == "Tu ticket de ayuda 12345678 continúa en el ticket 23456789"
    assert f"{PUBLIC_URL}/support/tickets/23456789" in plain_part(merged_email)
    html = html_part(resolved_email)
    assert "Valorar la ayuda recibida" in html and f'href="{PUBLIC_URL}/support/tickets/23456789"' in html
    assert "satisfaction" not in plain_part(resolved_email) + html  # never a link that rates on GET
    assert inbox(50) == []
