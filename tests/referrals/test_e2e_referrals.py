"""The referral program end to end, over HTTP against a product started like `make run`."""
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal

import pytest
import requests

from shared import clock
from tests.e2e.harness import Client, login, register_and_login, start_product, wait_for
from tests.support import free_port

pytestmark = pytest.mark.e2e
ALLOWED = {"BTC", "ETH", "DOT", "fee_rebate_card"}


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    # A mail catcher port of its own: products of other test runs may be up at the same time.
    running = start_product(tmp_path_factory.mktemp("referrals-product"),
                            {"REFERRAL_RESTRICTED_REGIONS": "US,KP", "MAIL_CATCHER_PORT": str(free_port())})
    yield running
    running.stop()


class Webhook:
    """The exchange's other systems, signing with the secret the embedded default made."""

    def __init__(self, product):
        self.product = product
        self.key = (product.data_dir / "secrets" / "integration_webhook_secret").read_text().strip().encode()

    def send(self, event_type: str, data: dict, *, occurred_at: dt.datetime | None = None,
             event_id: str | None = None, key: bytes | None = None, timestamp: bool = False) -> requests.Response:
        body = json.dumps({"id": event_id or str(uuid.uuid4()), "type": event_type,
                           "occurred_at": clock.isoformat(occurred_at or clock.now()), "data": data}).encode()
        return self.send_raw(body, key=key, timestamp=timestamp)

    def send_raw(self, body: bytes, *, key: bytes | None = None, timestamp: bool = False) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        message = body
        if timestamp:
            headers["X-Signature-Timestamp"] = stamp = str(int(time.time()))
            message = stamp.encode() + b"." + body
        headers["X-Signature"] = "sha256=" + hmac.new(key or self.key, message, hashlib.sha256).hexdigest()
        return requests.post(self.product.url("/api/v1/integrations/events"), data=body, headers=headers, timeout=30)

    def deposit(self, user_id: int, value: str, **kwargs) -> requests.Response:
        return self.send("wallet.deposit_completed.v1", {"user_id": user_id, "usdt_value": value, "asset": "USDT",
                                                         "amount": value, "tx_id": uuid.uuid4().hex}, **kwargs)


def referral(client: Client) -> dict:
    """The caller's referral summary, once the service has heard of the account."""
    def known():
        body = client.get("/api/v1/referrals/me").json()
        return body if body["reason"] != "account_pending" else None

    return wait_for(known, timeout=20, message="the registration to arrive")


def boxes(client: Client) -> list[tuple[str, str]]:
    return sorted((b["milestone"], b["role"]) for b in client.get("/api/v1/referrals/boxes").json()["items"])


def settle(product) -> None:
    """Wait until every event published so far has been judged.

    Events leave the gateway's outbox in order and the referrals worker takes them
    in order; a registration made now is judged after all of them.
    """
    referral(register_and_login(product, region="ES"))


def test_the_referral_program_through_the_gateway(product):
    webhook = Webhook(product)
    inviter = register_and_login(product, region="ES")
    mine = referral(inviter)
    assert mine["eligible"] is True and mine["reason"] is None
    assert mine["link"] == f"{product.base_url}/register?ref={mine['code']}"

    friend = register_and_login(product, region="FR", referral_code=mine["code"])
    assert referral(friend)["eligible"] is True
    assert friend.post("/api/v1/devices", json={"platform": "ios", "device_id": "phone-1"}).status_code == 201
    wait_for(lambda: boxes(inviter) == [("app_installed", "inviter")], timeout=20, message="the inviter's box")
    assert boxes(friend) == [("app_installed", "invitee")]

    # A second device publishes nothing new; a replayed install through the webhook is one effect.
    assert friend.post("/api/v1/devices", json={"platform": "android", "device_id": "tablet-2"}).status_code == 201
    install_id = str(uuid.uuid4())
    for _ in range(2):
        assert webhook.send("user.app_installed.v1", {"user_id": friend.user["id"]},
                            event_id=install_id).status_code == 202
    # 49.99 USDT is not enough, and the same envelope replayed must not make it 99.98.
    first = webhook.deposit(friend.user["id"], "49.99", event_id=(deposit_id := str(uuid.uuid4())))
    assert first.status_code == 202 and first.json()["duplicate"] is False
    replay = webhook.deposit(friend.user["id"], "49.99", event_id=deposit_id)
    assert replay.status_code == 202 and replay.json()["duplicate"] is True
    settle(product)
    assert boxes(friend) == [("app_installed", "invitee")]
    assert boxes(inviter) == [("app_installed", "inviter")]

    assert webhook.deposit(friend.user["id"], "0.01").status_code == 202
    wait_for(lambda: boxes(friend) == [("app_installed", "invitee"), ("deposit_50", "invitee")], timeout=20,
             message="the friend's second box")
    assert boxes(inviter) == [("app_installed", "inviter"), ("deposit_50", "inviter")]
    assert referral(inviter)["boxes_earned"] == 2 and referral(inviter)["invitees"] == 1

    # A bad signature is refused and changes nothing.
    bad = webhook.deposit(friend.user["id"], "500", key=b"not the secret")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_signature"

    # An install stamped 8 days after the registration is too late.
    late = register_and_login(product, region="DE", referral_code=mine["code"])
    registered_at = clock.parse_iso(late.user["created_at"])
    response = webhook.send("user.app_installed.v1", {"user_id": late.user["id"]},
                            occurred_at=registered_at + dt.timedelta(days=8), timestamp=True)
    assert response.status_code == 202
    settle(product)
    assert boxes(late) == []
    assert len(boxes(inviter)) == 2

    # The friend opens a box: an allowed reward worth at most 50 USDT, the same twice.
    box = next(b for b in friend.get("/api/v1/referrals/boxes").json()["items"] if b["milestone"] == "app_installed")
    opened = friend.post(f"/api/v1/referrals/boxes/{box['id']}/open")
    assert opened.status_code == 200
    reward = opened.json()["reward"]
    assert reward["kind"] in ALLOWED and Decimal(0) < Decimal(reward["usdt_value"]) <= Decimal(50)
    assert friend.post(f"/api/v1/referrals/boxes/{box['id']}/open").json()["reward"] == reward
    assert inviter.post(f"/api/v1/referrals/boxes/{box['id']}/open").status_code == 404

    def credited():
        items = friend.get("/api/v1/assets/capital-flows").json()["items"]
        return items if items and items[0]["status"] == "credited" else None

    started = time.monotonic()
    [entry] = wait_for(credited, timeout=60, interval=0.25, message="the reward to be credited")
    assert time.monotonic() - started < 60
    assert entry["credited_at"] and Decimal(entry["amount"]) == Decimal(reward["amount"])
    assert inviter.get("/api/v1/assets/capital-flows").json()["items"] == []


def test_sub_accounts_restricted_regions_and_self_referrals_get_nothing(product):
    webhook = Webhook(product)
    inviter = register_and_login(product, region="ES")
    code = referral(inviter)["code"]

    sub_email = f"sub-{uuid.uuid4().hex[:8]}@example.com"
    created = inviter.post("/api/v1/auth/sub-accounts", json={"email": sub_email, "password": "sub password 1"})
    assert created.status_code == 201
    sub = login(product, sub_email, "sub password 1")
    sub_view = referral(sub)
    assert (sub_view["eligible"], sub_view["reason"], sub_view["code"], sub_view["link"]) == (
        False, "sub_account", None, None)

    restricted = register_and_login(product, region="US")
    restricted_view = referral(restricted)
    assert (restricted_view["eligible"], restricted_view["reason"], restricted_view["code"]) == (
        False, "restricted_region", None)
    assert restricted_view["reason_message"]

    # A friend in a restricted region registers with the code and does everything: nothing is granted.
    far_friend = register_and_login(product, region="KP", referral_code=code)
    # The inviter's own sub-account and the inviter itself do everything too: self-referrals earn nothing.
    for client in (far_friend, sub, inviter):
        assert client.post("/api/v1/devices", json={"platform": "ios", "device_id": "d-1"}).status_code == 201
        assert webhook.deposit(client.user["id"], "75").status_code == 202
    settle(product)
    for client in (inviter, sub, restricted, far_friend):
        assert boxes(client) == []
    assert referral(inviter)["invitees"] == 0
