"""Emails that wait for attention: while a page of the person is open, the email of an inbox item waits
(NOTIFICATIONS_READ_WAIT_SECONDS) and is dropped if the item was read; with `email_digest`, ticket updates
within the window (NOTIFICATIONS_DIGEST_SECONDS) are one email. On the real RabbitMQ with a real SMTP
server, on SQLite and PostgreSQL; time moves by the injectable clock."""
import datetime as dt

from services.notifications.attention import mark_present
from services.notifications.models import Contact, Held, Notification, StreamPresence, db
from shared import clock
from tests.notifications.conftest import As, customer
from tests.notifications.support import count, message_added, plain_part, registered, requester, wait_until


def registered_alice(app, broker):
    broker.publish(registered(1, "alice@example.com"))
    wait_until(lambda: count(Contact, Contact.user_id == 1) == 1, message="the address book")
    return As(app.test_client(), customer(1, "alice@example.com"))


def test_an_open_page_holds_the_email_and_a_read_item_drops_it(releasing_worker, broker, smtp):
    alice = registered_alice(releasing_worker, broker)
    with db.connection_context():
        mark_present(1)  # what the live stream does when it opens, and at each heartbeat
    read_it, leave_it = (message_added("12345678", requester(1), message_id=n) for n in (1, 2))
    broker.publish(read_it, leave_it)
    wait_until(lambda: count(Held, Held.unless_read == True) == 2, message="both emails waiting")  # noqa: E712
    wait_until(lambda: count(Notification, Notification.user_id == 1) == 2, message="the two inbox items")
    with db.connection_context():
        first = Notification.get(Notification.event_id == read_it.id)
    assert alice.post(f"/api/v1/notifications/{first.id}/read").status_code == 200
    assert smtp.messages == []
    clock.clock.advance(dt.timedelta(minutes=2, seconds=1))
    [email] = smtp.wait_for(1)
    wait_until(lambda: count(Held) == 0, message="both released")
    assert email["Subject"] == "Your support ticket 12345678 was updated" and len(smtp.messages) == 1
    with db.connection_context():
        unread = Notification.get((Notification.user_id == 1) & Notification.read_at.is_null())
    assert unread.event_id == leave_it.id
    # The page closed long ago (no heartbeat since): the next email goes at once.
    broker.publish(message_added("12345678", requester(1), message_id=3))
    smtp.wait_for(2)


def test_the_stream_says_the_page_is_open(releasing_worker):
    from tests.notifications.test_stream import Served

    served = Served(releasing_worker)
    try:
        stream = served.stream(7)
        wait_until(lambda: count(StreamPresence, StreamPresence.user_id == 7) == 1, message="the presence")
        stream.close()
    finally:
        served.close()


def test_the_digest_makes_one_email_of_the_updates_within_its_window(releasing_worker, broker, smtp):
    alice = registered_alice(releasing_worker, broker)
    assert alice.put("/api/v1/notification-preferences", json={"email_digest": True}).json["email_digest"] is True
    broker.publish(message_added("12345678", requester(1), message_id=1),
                   message_added("23456789", requester(1), message_id=2, kind="info_request"))
    wait_until(lambda: count(Held, Held.channel == "digest") == 2, message="the updates held for the digest")
    wait_until(lambda: count(Notification, Notification.user_id == 1) == 2, message="the inbox, at once")
    clock.clock.advance(dt.timedelta(minutes=5, seconds=1))
    [digest] = smtp.wait_for(1)
    assert digest["Subject"] == "2 updates on your support tickets"
    assert "12345678, 23456789" in plain_part(digest)
    wait_until(lambda: count(Held) == 0, message="the digest released")
    broker.publish(message_added("12345678", requester(1), message_id=3))  # alone in its window: the usual email
    wait_until(lambda: count(Held, Held.channel == "digest") == 1, message="the next update held")
    clock.clock.advance(dt.timedelta(minutes=5, seconds=1))
    assert smtp.wait_for(2)[1]["Subject"] == "Your support ticket 12345678 was updated"
