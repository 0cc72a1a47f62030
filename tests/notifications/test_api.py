"""The notifications API on both databases: inbox, unread count, read marks, preferences,
push subscriptions, the VAPID key, and who may see what."""
import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.notifications.handlers import HANDLERS, configure
from services.notifications.models import Notification, PushSubscription, db
from tests.notifications.conftest import PUBLIC_URL, As, customer
from tests.notifications.support import box_granted, message_added, registered, requester, status_changed
from tests.support import token


def handle(*envelopes):
    """Run the inbox handlers the way the worker does, in one transaction."""
    configure(PUBLIC_URL)
    with db.atomic():
        for envelope in envelopes:
            for handler in HANDLERS.get(envelope.type, []):
                handler([envelope])


def browser_keys() -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    return {"p256dh": encode(point), "auth": encode(b"0123456789abcdef")}


def test_inbox_lists_newest_first_with_unread_count_and_link(alice, bob):
    handle(message_added("11111111", requester(1)), status_changed("11111111", requester(1), "resolved"),
           message_added("22222222", requester(2)))
    listed = alice.get("/api/v1/notifications")
    assert listed.status_code == 200
    body = listed.json
    assert body["unread_count"] == 2 and body["next_cursor"] is None
    assert [item["title"] for item in body["items"]] == ["Ticket 11111111 was resolved",
                                                         "Support replied on ticket 11111111"]
    item = body["items"][1]
    assert set(item) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}
    assert item["kind"] == "ticket_updates" and item["read_at"] is None
    assert item["link"] == f"{PUBLIC_URL}/support/tickets/11111111"
    assert item["created_at"].endswith("Z")
    assert bob.get("/api/v1/notifications").json["unread_count"] == 1


def test_mark_read_one_and_all(alice, bob):
    handle(*[message_added(f"1000000{i}", requester(1), message_id=i) for i in range(3)],
           message_added("20000000", requester(2)))
    first, second, third = alice.get("/api/v1/notifications").json["items"]
    read = alice.post(f"/api/v1/notifications/{second['id']}/read")
    assert read.status_code == 200
    assert read.json["notification"]["read_at"] is not None and read.json["unread_count"] == 2
    again = alice.post(f"/api/v1/notifications/{second['id']}/read")
    assert again.json["notification"]["read_at"] == read.json["notification"]["read_at"]
    unread = alice.get("/api/v1/notifications?unread=true").json["items"]
    assert [item["id"] for item in unread] == [first["id"], third["id"]]
    assert [item["id"] for item in alice.get("/api/v1/notifications?unread=false").json["items"]] == [second["id"]]
    assert len(alice.get("/api/v1/notifications?unread=").json["items"]) == 3
    everything = alice.post("/api/v1/notifications/read-all")
    assert everything.status_code == 200 and everything.json == {"updated": 2, "unread_count": 0}
    assert alice.get("/api/v1/notifications").json["unread_count"] == 0
    assert bob.get("/api/v1/notifications").json["unread_count"] == 1


def test_another_users_notification_is_not_found(alice, bob):
    handle(message_added("20000000", requester(2)))
    bobs = bob.get("/api/v1/notifications").json["items"][0]["id"]
    response = alice.post(f"/api/v1/notifications/{bobs}/read")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert Notification.get_by_id(bobs).read_at is None
    assert alice.post("/api/v1/notifications/999999/read").status_code == 404
    assert alice.post("/api/v1/notifications/abc/read").status_code == 404


def test_pages_with_cursor(alice):
    handle(*[message_added(f"3000000{i}", requester(1), message_id=i) for i in range(5)])
    first = alice.get("/api/v1/notifications?limit=2").json
    second = alice.get(f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}").json
    third = alice.get(f"/api/v1/notifications?limit=2&cursor={second['next_cursor']}").json
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)
    assert third["next_cursor"] is None
    bad = alice.get("/api/v1/notifications?cursor=not-a-cursor")
    assert bad.status_code == 400 and "cursor" in bad.json["error"]["details"]["fields"]
    assert alice.get("/api/v1/notifications?limit=0").status_code == 400
    assert alice.get("/api/v1/notifications?unread=maybe").status_code == 400


def test_callers_must_be_accounts(client):
    assert client.get("/api/v1/notifications").status_code == 401
    guest = As(client, {"kind": "guest", "email": "guest@example.com", "scope": {"ticket": "12345678"}})
    response = guest.get("/api/v1/notifications")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    anonymous = client.get("/api/v1/notifications", headers=token("notifications", kind="anonymous"))
    assert anonymous.status_code == 401
    wrong_audience = client.get("/api/v1/notifications", headers=token("tickets", **customer(1)))
    assert wrong_audience.status_code == 401


def test_preferences_default_on_partial_update_and_validation(alice, bob):
    everything_on = {"push": {"ticket_updates": True, "video_calls": True, "rewards": True},
                     "email": {"ticket_updates": True, "video_calls": True, "rewards": True}, "quiet_hours": None, "email_digest": False}
    assert alice.get("/api/v1/notification-preferences").json == everything_on
    changed = alice.put("/api/v1/notification-preferences", json={"push": {"ticket_updates": False}})
    assert changed.status_code == 200
    assert changed.json["push"] == {"ticket_updates": False, "video_calls": True, "rewards": True}
    changed = alice.put("/api/v1/notification-preferences", json={"email": {"rewards": False}})
    assert changed.json == {"push": {"ticket_updates": False, "video_calls": True, "rewards": True},
                            "email": {"ticket_updates": True, "video_calls": True, "rewards": False},
                            "quiet_hours": None, "email_digest": False}
    for bad in ({"push": {"ticket_updates": "no"}}, {"push": {"marketing": False}}, {"sms": {}},
                {"push": {"rewards": 0}}, {"email": ["rewards"]}):
        response = alice.put("/api/v1/notification-preferences", json=bad)
        assert response.status_code == 400, bad
        assert response.json["error"]["code"] == "validation_error"
    assert alice.put("/api/v1/notification-preferences", data="x").status_code == 415
    assert alice.get("/api/v1/notification-preferences").json["email"]["rewards"] is False
    assert bob.get("/api/v1/notification-preferences").json == everything_on


def test_push_off_stops_inbox_items_for_that_kind_only(alice):
    alice.put("/api/v1/notification-preferences", json={"push": {"ticket_updates": False}})
    handle(registered(1, "alice@example.com"), message_added("40000000", requester(1)), box_granted(1))
    items = alice.get("/api/v1/notifications").json["items"]
    assert [item["kind"] for item in items] == ["rewards"]


def test_inbox_speaks_the_users_language(client):
    handle(registered(7, "maria@example.com", "es-MX"), message_added("50000000", requester(7, locale="en")),
           message_added("50000001", requester(8, "li@example.com", "zh-TW")))
    maria = As(client, customer(7))
    assert maria.get("/api/v1/notifications").json["items"][0]["title"] == \
        "Servicio al cliente respondió en el ticket 50000000"
    li = As(client, customer(8))
    assert li.get("/api/v1/notifications").json["items"][0]["title"] == "客服已回覆工單 50000001"


def test_vapid_public_key_is_an_uncompressed_p256_point(alice, app):
    response = alice.get("/api/v1/push/vapid-public-key")
    assert response.status_code == 200
    key = response.json["public_key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    assert alice.get("/api/v1/push/vapid-public-key").json["public_key"] == key


def test_push_subscriptions(alice, bob):
    keys = browser_keys()
    endpoint = "https://fcm.googleapis.com/fcm/send/abc123"
    created = alice.post("/api/v1/push-subscriptions", json={"endpoint": endpoint, "keys": keys,
                                                             "expirationTime": None})
    assert created.status_code == 201
    subscription = created.json["subscription"]
    assert subscription["endpoint"] == endpoint
    again = alice.post("/api/v1/push-subscriptions", json={"endpoint": endpoint, "keys": browser_keys()})
    assert again.status_code == 200 and again.json["subscription"]["id"] == subscription["id"]
    assert [s["id"] for s in alice.get("/api/v1/push-subscriptions").json["items"]] == [subscription["id"]]
    assert bob.get("/api/v1/push-subscriptions").json["items"] == []
    assert bob.delete(f"/api/v1/push-subscriptions/{subscription['id']}").status_code == 404
    assert alice.delete(f"/api/v1/push-subscriptions/{subscription['id']}").status_code == 204
    assert PushSubscription.select().count() == 0


@pytest.mark.parametrize("endpoint", ["http://fcm.googleapis.com/fcm/send/x", "https://127.0.0.1/push",
                                      "https://10.0.0.8/push", "https://localhost/push", "ftp://push.example/x",
                                      "https://user:pw@push.example/x", "https://[::1]/push"])
def test_push_endpoints_must_be_public_https(alice, endpoint):
    response = alice.post("/api/v1/push-subscriptions", json={"endpoint": endpoint, "keys": browser_keys()})
    assert response.status_code == 400
    assert "endpoint" in response.json["error"]["details"]["fields"]
    assert PushSubscription.select().count() == 0


def test_push_subscription_keys_are_checked(alice):
    endpoint = "https://updates.push.services.mozilla.com/wpush/v2/abc"
    good = browser_keys()
    for keys in ({"p256dh": good["p256dh"]}, {"p256dh": "A" * 87, "auth": good["auth"]},
                 {"p256dh": good["p256dh"], "auth": "short"}, {"p256dh": good["p256dh"], "auth": "A" * 30}):
        response = alice.post("/api/v1/push-subscriptions", json={"endpoint": endpoint, "keys": keys})
        assert response.status_code == 400, keys
    assert PushSubscription.select().count() == 0


def test_openapi_documents_the_contract_paths(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/notifications", "/api/v1/notifications/{notification_id}/read",
                 "/api/v1/notifications/read-all", "/api/v1/notifications/stream",
                 "/api/v1/notification-preferences", "/api/v1/push/vapid-public-key",
                 "/api/v1/push-subscriptions"):
        assert path in paths
