"""The worker on a real RabbitMQ with a real SMTP server: inbox and email once per event,
alerts without the reply, languages, guests' links, security emails, retries, dead letters."""
import datetime as dt
import json
import logging
import os
import subprocess
import sys

import pytest

from services.notifications import preferences
from services.notifications.models import Contact, Delivery, Notification, db
from shared import clock
from shared.guest_links import verify_ticket_link
from tests.notifications.conftest import GUEST_LINK_SECRET, PUBLIC_URL
from tests.notifications.support import (
    code_requested,
    html_part,
    message_added,
    plain_part,
    registered,
    requester,
    status_changed,
    ticket_created,
    wait_until,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path}/notifications.db"


def inbox(user_id: int) -> list:
    with db.connection_context():
        return list(Notification.select().where(Notification.user_id == user_id).order_by(Notification.id))


def contact(user_id: int):
    with db.connection_context():
        return Contact.get_or_none(Contact.user_id == user_id)


def settle(broker, smtp, user_id: int = 99, expected_emails: int | None = None) -> None:
    """Wait until everything published before has been handled: a marker goes through each queue after it."""
    before = len(smtp.messages)
    broker.publish(registered(user_id, f"marker{user_id}@example.com"),
                   message_added("99999999", requester(user_id, f"marker{user_id}@example.com"),
                                 message_id=user_id))
    wait_until(lambda: inbox(user_id), message="the marker's inbox item")
    messages = smtp.wait_for(before + 1)
    assert messages[-1]["To"] == f"marker{user_id}@example.com"


def test_agent_reply_gives_one_inbox_item_and_one_alert_email(start_worker, database_url, broker, smtp):
    start_worker(database_url)
    broker.publish(registered(1, "alice@example.com"))
    wait_until(lambda: contact(1), message="the address book entry")
    reply = message_added("12345678", requester(1, "old-address@example.com"), message_id=41)
    broker.publish(reply, reply)  # delivered twice
    items = wait_until(lambda: inbox(1), message="the inbox item")
    [message] = smtp.wait_for(1)
    settle(broker, smtp)
    assert len(inbox(1)) == 1 and len([m for m in smtp.messages if m["To"] == "alice@example.com"]) == 1
    assert items[0].link == f"{PUBLIC_URL}/support/tickets/12345678"
    assert message["To"] == "alice@example.com"  # the address book, not the ticket's copy
    assert message["From"] == "Support <no-reply@support.example>"
    assert message["Subject"] == "Your support ticket 12345678 was updated"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@support.example>")
    assert message.get_content_type() == "multipart/alternative"
    assert f"{PUBLIC_URL}/support/tickets/12345678" in plain_part(message)
    assert f'href="{PUBLIC_URL}/support/tickets/12345678"' in html_part(message)
    with db.connection_context():
        assert Delivery.select().where(Delivery.event_id == reply.id).count() == 1


def test_guests_get_fresh_signed_links_in_their_language(start_worker, sqlite_url, broker, smtp):
    start_worker(sqlite_url)
    guest = requester(None, "Guest@Example.com", "es")
    broker.publish(ticket_created("23456789", guest))
    smtp.wait_for(1)
    clock.clock.advance(dt.timedelta(hours=1))  # each email signs its link anew, at its own time
    broker.publish(message_added("23456789", guest, kind="info_request"),
                   status_changed("23456789", guest, "awaiting_user"))
    created, updated = smtp.wait_for(2)
    settle(broker, smtp)
    assert [m["Subject"] for m in smtp.messages[:2]] == ["Recibimos tu ticket de ayuda 23456789",
                                                         "Se actualizó tu ticket de ayuda 23456789"]
    links = []
    for message in (created, updated):
        text = plain_part(message)
        link = next(word for word in text.split() if word.startswith(f"{PUBLIC_URL}/support/tickets/23456789?t="))
        assert verify_ticket_link(link.split("?t=")[1], "23456789", GUEST_LINK_SECRET) == "guest@example.com"
        links.append(link)
    assert links[0] != links[1]
    assert inbox(0) == [] and Notification.select().count() == 1  # only the marker's


def test_security_emails_ignore_preferences_and_codes_stay_out_of_logs(start_worker, sqlite_url, broker, smtp,
                                                                        caplog):
    start_worker(sqlite_url)
    with db.connection_context():
        preferences.update_preferences(5, {"email": {"ticket_updates": False, "video_calls": False,
                                                     "rewards": False}})
    caplog.set_level(logging.INFO)
    broker.publish(registered(5, "carol@example.com", "zh-Hant"), message_added("34567890", requester(5)),
                   code_requested("carol@example.com", "318274", number="34567890", locale="zh-Hant"))
    [code_email] = smtp.wait_for(1)
    settle(broker, smtp)
    assert [m["To"] for m in smtp.messages] == ["carol@example.com", "marker99@example.com"]
    assert code_email["Subject"] == "您的客服工單 34567890 驗證碼"
    assert "318274" in plain_part(code_email)
    assert len(inbox(5)) == 1  # push preferences are on: the reply is in the inbox
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "events handled" in logged and "318274" not in logged


def test_refusing_smtp_server_gets_retries_then_one_email(start_worker, sqlite_url, broker, smtp):
    start_worker(sqlite_url)
    smtp.handler.refuse = True
    broker.publish(registered(2, "bob@example.com"), message_added("45678901", requester(2)))
    wait_until(lambda: smtp.handler.refused >= 3, message="three refusals")
    assert inbox(2), "the inbox does not wait for email"
    smtp.handler.refuse = False
    [message] = smtp.wait_for(1)
    settle(broker, smtp)
    assert message["To"] == "bob@example.com"
    assert len([m for m in smtp.messages if m["To"] == "bob@example.com"]) == 1


def run_dlq(broker, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, **broker.env(), "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "shared.dlq", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.chaos
def test_parked_email_is_listed_and_replayed_once(start_worker, sqlite_url, broker, smtp):
    start_worker(sqlite_url, MAX_RETRIES=2)
    smtp.stop()
    reply = message_added("56789012", requester(3, "dave@example.com"))
    code = code_requested("dave@example.com", "902211", number="56789012")
    broker.publish(reply, code)
    wait_until(lambda: broker.queue_depth("notifications.email.dlq") == 2, timeout=20, message="two parked emails")
    listed = run_dlq(broker, "list", "--queue", "notifications.email")
    assert listed.returncode == 0, listed.stderr
    parked = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {p["event_id"] for p in parked} == {reply.id, code.id}
    assert all(p["attempts"] == 2 and "DeliveryFailed" in p["reason"] for p in parked)
    whole = run_dlq(broker, "list", "--queue", "notifications.email", "--json")
    assert code.id in whole.stdout and "902211" not in whole.stdout + listed.stdout
    assert broker.queue_depth("notifications.email.dlq") == 2  # listing leaves them parked

    smtp.start()
    replayed = run_dlq(broker, "replay", "--queue", "notifications.email")
    assert replayed.returncode == 0 and "replayed 2 message(s)" in replayed.stdout
    smtp.wait_for(2)
    settle(broker, smtp)
    assert sorted(m["Subject"] for m in smtp.messages[:2]) == [
        "Your support ticket 56789012 was updated", "Your verification code for support ticket 56789012"]
    assert broker.queue_depth("notifications.email.dlq") == 0
    assert run_dlq(broker, "replay", "--queue", "notifications.email").stdout.startswith("replayed 0")


def test_each_notice_is_composed_once_for_every_channel(start_worker, sqlite_url, broker, smtp, monkeypatch):
    """The inbox consumer composes an event's notices and the email channel sends what it composed (fanout.py):
    `compose` runs once per event, not once per channel."""
    from services.notifications import recipients

    composed: list[str] = []
    compose = recipients.compose

    def counting(envelope):
        composed.append(envelope.id)
        return compose(envelope)

    monkeypatch.setattr(recipients, "compose", counting)
    start_worker(sqlite_url)
    reply = message_added("67890123", requester(6, "erin@example.com"))
    broker.publish(registered(6, "erin@example.com"), reply)
    [email] = smtp.wait_for(1)
    wait_until(lambda: inbox(6), message="the inbox item")
    assert email["To"] == "erin@example.com" and "67890123" in str(email["Subject"])
    assert composed == [reply.id]
