"""Web Push to a local push service that decrypts with the subscription's keys and checks VAPID."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.notifications import preferences
from services.notifications.app import create_app
from services.notifications.handlers import HANDLERS, configure
from services.notifications.models import Contact, Delivery, Notification, PushSubscription, db
from services.notifications.push import PushChannel
from services.notifications.webpush import PushFailed
from services.notifications.worker import create_worker
from tests.conftest import close_database
from tests.notifications.conftest import PUBLIC_URL, As, app_settings, customer
from tests.notifications.push_receiver import PushReceiver
from tests.notifications.support import message_added, registered, requester, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver():
    service = PushReceiver()
    yield service
    service.close()


@pytest.fixture
def push_app(database_url, receiver):
    app = create_app(app_settings(database_url, PUSH_ALLOWED_HOSTS=[receiver.host_port]))
    yield app
    close_database(db)


def subscribe(app, user_id: int, subscription: dict) -> int:
    response = As(app.test_client(), customer(user_id)).post("/api/v1/push-subscriptions", json=subscription)
    assert response.status_code == 201, response.json
    return response.json["subscription"]["id"]


def deliver(app, envelope) -> int:
    with db.connection_context():
        return PushChannel(dict(app.config), app.extensions["vapid"]).deliver(envelope)


def test_every_subscribed_browser_gets_the_notice_encrypted_and_signed(push_app, receiver):
    subscribe(push_app, 1, receiver.browser("alice-laptop"))
    subscribe(push_app, 1, receiver.browser("alice-phone"))
    subscribe(push_app, 2, receiver.browser("bob"))
    reply = message_added("12345678", requester(1))
    with db.atomic():
        configure(PUBLIC_URL)
        [handler] = HANDLERS[reply.type]
        [fanout] = handler([reply])  # the event's notices, composed once, and its inbox items
        [item] = fanout.items
    assert deliver(push_app, reply) == 2
    pushes = receiver.wait_for(2)
    assert sorted(p["browser"] for p in pushes) == ["alice-laptop", "alice-phone"]
    for push in pushes:
        assert push["payload"] == {"title": "Support replied on ticket 12345678",
                                   "body": "Open the ticket to read the reply and answer it.",
                                   "link": f"{PUBLIC_URL}/support/tickets/12345678", "kind": "ticket_updates",
                                   "tag": reply.id, "notification_id": item.id}
        assert push["vapid_key"] == push_app.extensions["vapid"].public_key
        assert push["claims"]["sub"] == "mailto:no-reply@support.example"
        assert int(push["ttl"]) == 24 * 3600
    assert deliver(push_app, reply) == 0  # once per browser, however often the event comes
    assert len(receiver.received) == 2


def test_expired_subscriptions_are_removed(push_app, receiver):
    kept = subscribe(push_app, 1, receiver.browser("fresh"))
    subscribe(push_app, 1, receiver.browser("unsubscribed", status=410))
    subscribe(push_app, 1, receiver.browser("unknown", status=404))
    assert deliver(push_app, message_added("12345678", requester(1))) == 1
    with db.connection_context():
        assert [s.id for s in PushSubscription.select()] == [kept]


def test_a_failing_push_service_is_retried_for_the_failed_browser_only(push_app, receiver):
    subscribe(push_app, 1, receiver.browser("working"))
    subscribe(push_app, 1, receiver.browser("flaky", status=503))
    reply = message_added("12345678", requester(1))
    with pytest.raises(PushFailed):
        deliver(push_app, reply)
    assert [p["browser"] for p in receiver.wait_for(1)] == ["working"]
    receiver.browsers["flaky"].status = 201
    assert deliver(push_app, reply) == 1
    assert sorted(p["browser"] for p in receiver.wait_for(2)) == ["flaky", "working"]
    with db.connection_context():
        assert Delivery.select().where(Delivery.channel == "push").count() == 2


def test_push_preference_and_other_users(push_app, receiver):
    subscribe(push_app, 1, receiver.browser("alice"))
    with db.connection_context():
        preferences.update_preferences(1, {"push": {"ticket_updates": False}})
    assert deliver(push_app, message_added("12345678", requester(1))) == 0
    assert deliver(push_app, message_added("12345678", requester(3))) == 0  # nobody subscribed
    assert deliver(push_app, message_added("12345678", requester(None, "guest@example.com"))) == 0
    assert receiver.received == []


def test_the_worker_pushes_through_its_own_queue(tmp_path, broker, smtp, receiver):
    app = create_app(app_settings(f"sqlite:///{tmp_path}/n.db", PUSH_ALLOWED_HOSTS=[receiver.host_port],
                                  **broker.settings(), **smtp.settings()))
    subscribe(app, 4, receiver.browser("dana"))
    worker = create_worker(dict(app.config)).start()
    try:
        broker.publish(registered(4, "dana@example.com", "es"))
        wait_until(lambda: Contact.select().count() == 1, message="the address book entry")
        # Erin has no browser subscribed: her reply gives an inbox item and an email, and no push job.
        broker.publish(message_added("12121212", requester(5, "erin@example.com")),
                       message_added("87654321", requester(4)))
        [push] = receiver.wait_for(1)
        assert push["payload"]["title"] == "Servicio al cliente respondió en el ticket 87654321"
        wait_until(lambda: Notification.select().count() == 2 and len(smtp.messages) == 2)
        item = Notification.get(Notification.user_id == 4)
        assert push["payload"]["link"] == item.link and push["payload"]["tag"] == item.event_id
        [pusher] = [consumer for consumer in worker.consumers if consumer.channel == "push"]
        wait_until(lambda: pusher.handled >= 1, message="the push channel's count")
        assert pusher.handled == 1  # the push queue saw dana's event only (erin's came first, if at all)
    finally:
        worker.stop(timeout=10)
        close_database(db)


def test_requests_is_loaded_with_the_first_push_not_before(tmp_path):
    """The web app and the push channel hold no requests or urllib3 until a push is sent (issue 23);
    the session made then is the checked one (push_session.py)."""
    settings = app_settings(f"sqlite:///{tmp_path}/service.db")
    script = f"""
import json, sys
from services.notifications.app import create_app
from services.notifications.push import PushChannel
app = create_app({settings!r})
channel = PushChannel(dict(app.config), app.extensions["vapid"])
before = sorted(name for name in ("requests", "urllib3") if name in sys.modules)
session = channel.sender.session
print(json.dumps({{"before": before, "after": "requests" in sys.modules, "redirects": session.max_redirects,
                   "trust_env": session.trust_env, "same": channel.sender.session is session}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"before": [], "after": True, "redirects": 0,
                                                        "trust_env": False, "same": True}


def test_the_push_channel_loads_its_vapid_key_with_the_first_push(tmp_path):
    """A worker's push channel holds no VAPID key, py_vapid or cryptography until it sends (issue 23); the key it
    then loads is the one the environment names, as the web app's."""
    script = """
import json, sys
from services.notifications import config
from services.notifications.push import PushChannel
settings = config.settings()
channel = PushChannel(settings)
before = sorted(name for name in ("py_vapid", "cryptography", "requests") if name in sys.modules)
from services.notifications.webpush import load_vapid
print(json.dumps({"before": before, "same": channel.sender.keys.public_key == load_vapid(settings).public_key,
                  "once": channel.sender is channel.sender}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAPID_", "PUSH_"))}
    env.update(DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/service.db")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"before": [], "same": True, "once": True}
