"""Quiet hours: no push and no email inside the person's window, in their time zone; what was held goes
once when it ends; security emails are never held; the inbox keeps its items. On the real RabbitMQ with a
real SMTP server; time moves by the injectable clock."""
import datetime as dt
from types import SimpleNamespace

import pytest

from services.notifications.app import create_app
from services.notifications.models import Contact, Held, Notification, db
from services.notifications.quiet_hours import quiet_until
from shared import clock
from tests.conftest import close_database
from tests.notifications.conftest import As, app_settings, customer
from tests.notifications.support import code_requested, count, message_added, registered, requester, wait_until

QUIET = {"start": "22:00", "end": "07:00", "timezone": "Europe/Madrid"}


def row(start="22:00", end="07:00", zone="Europe/Madrid"):
    return SimpleNamespace(quiet_start=start, quiet_end=end, quiet_timezone=zone)


@pytest.mark.parametrize("utc, expected", [
    ("2026-01-10T21:30:00", "2026-01-11T06:00:00"),  # 22:30 in Madrid (UTC+1): until 07:00 the next morning
    ("2026-01-11T05:59:00", "2026-01-11T06:00:00"),  # 06:59 there
    ("2026-01-11T06:00:00", None),  # 07:00: over
    ("2026-01-10T12:00:00", None),
    ("2026-07-10T20:30:00", "2026-07-11T05:00:00"),  # summer time (UTC+2)
])
def test_the_window_is_the_persons_own_across_midnight(utc, expected):
    until = quiet_until(row(), dt.datetime.fromisoformat(utc))
    assert (until.isoformat() if until else None) == expected
    day = quiet_until(row("13:00", "14:00", "Asia/Taipei"), dt.datetime.fromisoformat("2026-01-10T05:30:00"))
    assert day == dt.datetime(2026, 1, 10, 6, 0)


def test_quiet_hours_are_preferences_of_their_own(client, alice):
    assert alice.get("/api/v1/notification-preferences").get_json()["quiet_hours"] is None
    changed = alice.put("/api/v1/notification-preferences", json={"quiet_hours": QUIET})
    assert changed.status_code == 200 and changed.get_json()["quiet_hours"] == QUIET
    assert changed.get_json()["push"]["ticket_updates"] is True
    for bad in ({**QUIET, "start": "25:00"}, {**QUIET, "timezone": "Mars/Olympus"}, {**QUIET, "end": "22:00"},
                {"start": "22:00"}):
        refused = alice.put("/api/v1/notification-preferences", json={"quiet_hours": bad})
        assert refused.status_code == 400 and "quiet_hours" in refused.get_json()["error"]["details"]["fields"]
    cleared = alice.put("/api/v1/notification-preferences", json={"quiet_hours": None})
    assert cleared.get_json()["quiet_hours"] is None


def test_what_quiet_hours_hold_goes_once_when_they_end(releasing_worker, broker, smtp):
    # 23:00 in Madrid.
    clock.clock.advance(dt.datetime(2026, 1, 10, 22, 0) - clock.now())
    alice = As(releasing_worker.test_client(), customer(1, "alice@example.com"))
    assert alice.put("/api/v1/notification-preferences", json={"quiet_hours": QUIET}).status_code == 200
    broker.publish(registered(1, "alice@example.com"))
    wait_until(lambda: count(Contact, Contact.user_id == 1) == 1, message="the address book")
    reply = message_added("12345678", requester(1), message_id=5)
    broker.publish(reply, reply, code_requested("alice@example.com", "271828", number="12345678"))
    [code] = smtp.wait_for(1)  # a code is never held
    assert "271828" in code.get_body(preferencelist=("plain",)).get_content()
    wait_until(lambda: count(Notification, Notification.user_id == 1) == 1, message="the inbox item, at once")
    wait_until(lambda: count(Held, Held.event_id == reply.id) == 1, message="the email held")
    assert len(smtp.messages) == 1
    clock.clock.advance(dt.timedelta(hours=8, minutes=1))  # 07:01 in Madrid
    messages = smtp.wait_for(2)
    assert messages[1]["Subject"] == "Your support ticket 12345678 was updated"
    wait_until(lambda: count(Held) == 0, message="the held row gone")
    broker.publish(message_added("12345678", requester(1), message_id=6))  # the day: at once
    smtp.wait_for(3)
    assert [m["Subject"] for m in smtp.messages].count("Your support ticket 12345678 was updated") == 2


def test_web_push_waits_for_the_end_of_quiet_hours_too(database_url):
    from services.notifications.push import PushChannel
    from services.notifications.quiet_hours import release_due
    from tests.notifications.push_receiver import PushReceiver

    receiver = PushReceiver()
    app = create_app(app_settings(database_url, PUSH_ALLOWED_HOSTS=[receiver.host_port]))
    try:
        clock.clock.advance(dt.datetime(2026, 1, 10, 22, 0) - clock.now())  # 23:00 in Madrid
        alice = As(app.test_client(), customer(1))
        assert alice.post("/api/v1/push-subscriptions", json=receiver.browser("phone")).status_code == 201
        assert alice.put("/api/v1/notification-preferences", json={"quiet_hours": QUIET}).status_code == 200
        reply = message_added("12345678", requester(1))
        with db.connection_context():
            channel = PushChannel(dict(app.config), app.extensions["vapid"])
            assert channel.deliver(reply) == 0 and Held.select().count() == 1
            assert release_due("push", channel.deliver_notice) == 0  # not yet
            clock.clock.advance(dt.timedelta(hours=8))
            assert release_due("push", channel.deliver_notice) == 1
            assert release_due("push", channel.deliver_notice) == 0 and Held.select().count() == 0
        assert [push["browser"] for push in receiver.wait_for(1)] == ["phone"]
    finally:
        receiver.close()
        close_database(db)
