"""The anti-phishing code in every email to its account (and no other), and the line on what
support never asks for in every email, through the worker on RabbitMQ and a real SMTP server."""
import datetime as dt
import logging

import pytest

from services.notifications import preferences, texts
from services.notifications.app import create_app
from services.notifications.email_channel import EmailChannel
from services.notifications.models import AGENT_KINDS, Contact, db
from services.notifications.notices import compose
from services.notifications.senders import make_email_sender
from shared import clock
from shared.events import Envelope
from tests.conftest import close_database
from tests.notifications.conftest import app_settings
from tests.notifications.support import (
    box_granted,
    code_requested,
    html_part,
    message_added,
    plain_part,
    registered,
    requester,
    status_changed,
    ticket,
    ticket_created,
    ticket_event,
    video_booked,
    wait_until,
)

NEVER_ASK = {
    "en": "Support will never ask for your password, 2FA codes or recovery phrase.",
    "es": "El servicio al cliente nunca te pedirá tu contraseña, tus códigos 2FA ni tu frase de recuperación.",
    "zh-Hant": "客服絕不會向您索取密碼、2FA 驗證碼或恢復助記詞。",
}
CODE_LINE = {"en": "Your anti-phishing code: {}", "es": "Tu código antiphishing: {}", "zh-Hant": "您的防釣魚碼：{}"}


def code_changed(user_id: int, code: str | None, occurred_at: dt.datetime | None = None) -> Envelope:
    return Envelope.new("user.anti_phishing_code_changed.v1", {"user_id": user_id, "code": code}, "gateway",
                        occurred_at=occurred_at)


def contact(user_id: int):
    with db.connection_context():
        return Contact.get_or_none(Contact.user_id == user_id)


def both_parts(message) -> tuple[str, str]:
    return plain_part(message), html_part(message)


def to(messages, address: str) -> list:
    return [message for message in messages if message["To"] == address]


def test_the_code_is_in_both_parts_of_its_accounts_emails_only(start_worker, database_url, broker, smtp, caplog):
    start_worker(database_url)
    caplog.set_level(logging.INFO)  # after the app's logging setup
    broker.publish(registered(7, "grace@example.com", "es"), registered(8, "heidi@example.com"))
    change = code_changed(7, "Gr4ceCode")
    broker.publish(change, change)  # delivered twice
    wait_until(lambda: (row := contact(7)) and row.anti_phishing_code == "Gr4ceCode", message="the code stored")
    broker.publish(message_added("12345678", requester(7)), message_added("23456789", requester(8)),
                   ticket_created("34567890", requester(None, "ivan@example.com")),
                   code_requested("ivan@example.com", "481516", number="34567890"))
    messages = smtp.wait_for(4)
    [grace] = to(messages, "grace@example.com")
    plain, html = both_parts(grace)
    assert plain.splitlines()[0] == "Tu código antiphishing: Gr4ceCode"  # first, before the greeting
    assert "Tu código antiphishing: Gr4ceCode" in html
    assert html.index("Gr4ceCode") < html.index("Hola:")
    for address in ("heidi@example.com", "ivan@example.com"):
        for message in to(messages, address):
            for part in both_parts(message):
                assert "Gr4ceCode" not in part and "anti-phishing" not in part

    broker.publish(code_changed(7, None))  # removed
    wait_until(lambda: contact(7).anti_phishing_code is None, message="the code removed")
    broker.publish(message_added("12345678", requester(7), message_id=2))
    later = to(smtp.wait_for(5), "grace@example.com")[-1]
    assert all("Gr4ceCode" not in part and "antiphishing" not in part for part in both_parts(later))
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "events handled" in logged and "Gr4ceCode" not in logged


def test_a_code_that_comes_before_the_registration_is_kept(start_worker, database_url, broker, smtp):
    start_worker(database_url)
    set_at = clock.now()
    broker.publish(code_changed(9, "Early123", occurred_at=set_at))
    wait_until(lambda: contact(9), message="the entry the code made")
    assert (contact(9).email, contact(9).anti_phishing_code) == ("", "Early123")
    # An older change that arrives late (a retried event) does not undo the newer one.
    broker.publish(code_changed(9, "Older999", occurred_at=set_at - dt.timedelta(minutes=5)),
                   registered(9, "judy@example.com", "zh-Hant"))
    wait_until(lambda: contact(9).email == "judy@example.com", message="the registration")
    broker.publish(message_added("45678901", requester(9, "stale@example.com")))
    [message] = smtp.wait_for(1)
    assert message["To"] == "judy@example.com"
    plain, html = both_parts(message)
    assert plain.splitlines()[0] == "您的防釣魚碼：Early123" and "您的防釣魚碼：Early123" in html
    assert "Older999" not in plain + html
    assert contact(9).locale == "zh-Hant"


AGENT_ID = 2


def every_kind(who: dict, guest: dict, user_id: int) -> dict[str, Envelope]:
    """One event per email topic: the account's where the topic has one, else the guest's."""
    video = {"call_id": 5, "ticket_number": "56789012", "requester": who, "slot_start": "2025-03-01T14:00:00Z",
             "slot_end": "2025-03-01T14:30:00Z", "previous_slot_start": "2025-02-28T10:00:00Z"}
    kinds = {
        "guest_ticket_created": ticket_created("56789012", guest),
        "ticket_reply": message_added("56789012", who),
        "ticket_info_request": message_added("56789012", who, kind="info_request", message_id=2),
        "ticket_resolved": status_changed("56789012", who, "resolved"),
        "ticket_escalation_accepted": Envelope.new("ticket.escalation_accepted.v1", {
            **ticket("56789012", who), "escalation_id": 3, "tier": "senior", "department": None}, "tickets"),
        "verification_code_ticket": code_requested(guest["email"], "271828", number="56789012", locale=guest["locale"]),
        "verification_code_video": code_requested(guest["email"], "314159", purpose="video_calls", number=None,
                                                  locale=guest["locale"]),
        "video_call_booked": video_booked(5, "56789012", who),
        "referral_box_granted": box_granted(user_id),
        "referral_reward_credited": Envelope.new("referral.reward_credited.v1", {
            "entry_id": 1, "user_id": user_id, "asset": "USDT", "amount": "5"}, "referrals"),
    }
    for event_type, topic in (("video.call_proposed.v1", "video_call_proposed"),
                              ("video.call_rescheduled.v1", "video_call_rescheduled"),
                              ("video.call_cancelled.v1", "video_call_cancelled"),
                              ("video.call_reminder_due.v1", "video_call_reminder"),
                              ("video.call_completed.v1", "video_call_completed")):
        kinds[topic] = Envelope.new(event_type, video, "video")
    kinds["ticket_merged"] = ticket_event("ticket.merged.v1", "56789012", who, into_number="67890123",
                                          into_subject="Deposit missing")
    # The agent (AGENT_ID) who holds the ticket.
    kinds["agent_ticket_reply"] = message_added("56789012", who, author_role="customer", assignee_id=AGENT_ID)
    kinds["agent_ticket_escalated"] = ticket_event("ticket.escalated.v1", "56789012", who, AGENT_ID, escalation_id=4)
    kinds["agent_ticket_assigned"] = ticket_event("ticket.assigned.v1", "56789012", who, AGENT_ID,
                                                  previous_assignee_id=None, assigned_by="auto")
    for rating in ("good", "bad"):
        kinds[f"agent_ticket_rated_{rating}"] = ticket_event("ticket.rated.v1", "56789012", who, AGENT_ID,
                                                             rating=rating)
    for metric in ("first_response", "next_response", "resolution"):
        kinds[f"agent_sla_{metric}"] = ticket_event("ticket.sla_breached.v1", "56789012", who, AGENT_ID, metric=metric,
                                                    due_at="2025-01-01T00:00:00Z")
    return kinds


@pytest.mark.parametrize("locale", ["en", "es", "zh-Hant"])
def test_every_email_kind_says_what_support_never_asks_for(tmp_path, smtp, locale):
    app = create_app(app_settings(f"sqlite:///{tmp_path}/n.db", **smtp.settings()))
    channel = EmailChannel(dict(app.config), make_email_sender(app.config))
    try:
        with db.connection_context():
            Contact.create(user_id=1, email="kim@example.com", locale=locale, anti_phishing_code="Kim12345")
            Contact.create(user_id=AGENT_ID, email="ana@example.com", locale=locale)
            preferences.update_preferences(AGENT_ID, {"email": {kind: True for kind in AGENT_KINDS}})
            events = every_kind(requester(1, "kim@example.com", locale), requester(None, "lee@example.com", locale), 1)
            assert set(events) | {"ticket_digest"} == texts.topics()  # a new kind of email must come here too
            for envelope in events.values():
                assert channel.deliver(envelope) == 1, envelope.type
            updates = [(e, compose(e)) for e in (events["ticket_reply"], events["ticket_resolved"])]
            assert channel.send_digest(updates) == 1
        messages = smtp.wait_for(len(events) + 1)
        assert {m["To"] for m in messages} == {"kim@example.com", "lee@example.com", "ana@example.com"}
        for message in messages:
            for part in both_parts(message):
                assert NEVER_ASK[locale] in part, (message["Subject"], part)
                # The account's code is in its emails only; the guest has none.
                assert (CODE_LINE[locale].format("Kim12345") in part) == (message["To"] == "kim@example.com")
    finally:
        channel.transport.close()
        close_database(db)
