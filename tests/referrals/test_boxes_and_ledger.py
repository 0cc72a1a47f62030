"""Opening boxes and the capital-flows ledger, on SQLite and PostgreSQL."""
import datetime as dt
import json
import threading
from decimal import Decimal

import peewee
import pytest
import requests
from werkzeug.serving import make_server

from services.referrals import ledger
from services.referrals.models import LedgerEntry, MysteryBox, OutboxMessage, db
from shared.outbox import Outbox
from tests.referrals.conftest import As
from tests.referrals.factories import T0, installed, registered
from tests.support import free_port

INVITER, FRIEND = 10, 11
ALLOWED = {"BTC", "ETH", "DOT", "fee_rebate_card"}
PRICES = {"BTC": Decimal("65000"), "ETH": Decimal("3200"), "DOT": Decimal("6.5"), "fee_rebate_card": Decimal(1)}


@pytest.fixture
def friend_box(deliver) -> int:
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER), installed(FRIEND, at=T0 + dt.timedelta(hours=1)))
    return MysteryBox.get(MysteryBox.user_id == FRIEND).id


def credited_events():
    return [json.loads(row.payload)["data"] for row in
            OutboxMessage.select().where(OutboxMessage.event_type == "referral.reward_credited.v1")]


def test_a_box_opens_to_an_allowed_reward_worth_at_most_50_usdt_and_the_same_again(client, friend_box):
    friend = As(client, FRIEND)
    listed = friend.get("/api/v1/referrals/boxes").json["items"]
    assert [(b["id"], b["milestone"], b["status"], b["reward"]) for b in listed] == [
        (friend_box, "app_installed", "unopened", None)]

    opened = friend.post(f"/api/v1/referrals/boxes/{friend_box}/open")
    assert opened.status_code == 200
    reward = opened.json["reward"]
    assert reward["kind"] in ALLOWED
    amount, value = Decimal(reward["amount"]), Decimal(reward["usdt_value"])
    assert amount > 0 and Decimal(0) < value <= Decimal(50)
    assert amount * PRICES[reward["kind"]] <= Decimal(50)
    assert opened.json["draw"] == {"prize_table_version": "2026-01",
                                   "usdt_price": str(PRICES[reward["kind"]]) if reward["kind"] != "fee_rebate_card"
                                   else "1"}
    again = friend.post(f"/api/v1/referrals/boxes/{friend_box}/open")
    assert again.status_code == 200 and again.json["reward"] == reward
    box = friend.get("/api/v1/referrals/boxes").json["items"][0]
    assert box["status"] == "opened" and box["reward"] == reward and box["opened_at"]

    flows = friend.get("/api/v1/assets/capital-flows").json
    assert len(flows["items"]) == 1 and flows["next_cursor"] is None
    entry = flows["items"][0]
    assert entry["status"] == "pending" and entry["credited_at"] is None
    assert entry["asset"] == ("USDT" if reward["kind"] == "fee_rebate_card" else reward["kind"])
    assert Decimal(entry["amount"]) == amount
    assert entry["reference"] == f"mystery_box:{friend_box}"


def test_nobody_else_opens_or_sees_a_box(client, friend_box):
    stranger = As(client, 99)
    response = stranger.post(f"/api/v1/referrals/boxes/{friend_box}/open")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert As(client, FRIEND).post("/api/v1/referrals/boxes/999999/open").status_code == 404
    assert stranger.get("/api/v1/referrals/boxes").json["items"] == []
    assert MysteryBox.get_by_id(friend_box).status == "unopened"
    assert LedgerEntry.select().count() == 0


def test_twenty_concurrent_opens_give_one_reward_and_one_entry(app, friend_box):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    headers = As(None, FRIEND).headers()
    barrier = threading.Barrier(20)
    answers = []

    def open_it():
        barrier.wait()
        answers.append(requests.post(f"http://127.0.0.1:{port}/api/v1/referrals/boxes/{friend_box}/open",
                                     headers=headers, timeout=30))

    threads = [threading.Thread(target=open_it) for _ in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.shutdown()
    assert [a.status_code for a in answers] == [200] * 20
    assert len({json.dumps(a.json()["reward"], sort_keys=True) for a in answers}) == 1
    assert LedgerEntry.select().where(LedgerEntry.reference == f"mystery_box:{friend_box}").count() == 1
    assert LedgerEntry.select().count() == 1


def test_the_worker_credits_pending_entries_once_and_publishes(client, app, friend_box):
    friend = As(client, FRIEND)
    reward = friend.post(f"/api/v1/referrals/boxes/{friend_box}/open").json["reward"]
    outbox = app.extensions["outbox"]
    assert ledger.credit_pending(outbox) == 1
    assert ledger.credit_pending(outbox) == 0
    entry = friend.get("/api/v1/assets/capital-flows").json["items"][0]
    assert entry["status"] == "credited" and entry["credited_at"]
    events = credited_events()
    assert len(events) == 1
    assert events[0]["user_id"] == FRIEND and Decimal(events[0]["amount"]) == Decimal(reward["amount"])


class DyingOutbox(Outbox):
    """Fails after the status UPDATE has run, as a worker killed mid-batch would."""

    def add(self, *args, **kwargs):
        raise RuntimeError("worker died")


def test_a_worker_dying_mid_way_never_credits_twice(client, app, friend_box, deliver):
    inviter_box = MysteryBox.get(MysteryBox.user_id == INVITER).id
    As(client, FRIEND).post(f"/api/v1/referrals/boxes/{friend_box}/open")
    As(client, INVITER).post(f"/api/v1/referrals/boxes/{inviter_box}/open")
    with pytest.raises(RuntimeError):
        ledger.credit_pending(DyingOutbox(OutboxMessage, "referrals"))
    assert [e.status for e in LedgerEntry.select()] == ["pending", "pending"]
    assert credited_events() == []
    assert ledger.credit_pending(app.extensions["outbox"]) == 2
    assert ledger.credit_pending(app.extensions["outbox"]) == 0
    assert sorted(e["user_id"] for e in credited_events()) == [INVITER, FRIEND]


def test_the_ledger_refuses_edits_and_deletes(client, app, friend_box):
    As(client, FRIEND).post(f"/api/v1/referrals/boxes/{friend_box}/open")
    entry = LedgerEntry.get()
    for change in ({"amount": Decimal("49")}, {"asset": "USDT" if entry.asset != "USDT" else "BTC"},
                   {"user_id": 12}, {"reference": "mystery_box:0"}):
        with pytest.raises(peewee.DatabaseError), db.atomic():
            LedgerEntry.update(**change).where(LedgerEntry.id == entry.id).execute()
    with pytest.raises(peewee.DatabaseError), db.atomic():
        LedgerEntry.delete().where(LedgerEntry.id == entry.id).execute()
    assert ledger.credit_pending(app.extensions["outbox"]) == 1
    with pytest.raises(peewee.DatabaseError), db.atomic():
        LedgerEntry.update(status="pending", credited_at=None).where(LedgerEntry.id == entry.id).execute()
    if db.obj.__class__.__name__.startswith("Pooled"):
        with pytest.raises(peewee.DatabaseError), db.atomic():
            db.execute_sql("TRUNCATE ledger_entry")
    after = LedgerEntry.get_by_id(entry.id)
    assert (after.amount, after.asset, after.user_id, after.status) == (entry.amount, entry.asset, FRIEND, "credited")


def test_amounts_are_kept_exactly(app):
    entry = ledger.append_entry(5, "mystery_box_reward", "BTC", Decimal("0.000123456789012345"), "test:1")
    assert LedgerEntry.get_by_id(entry.id).amount == Decimal("0.000123456789012345")


def test_concurrent_credit_runs_credit_each_entry_once(app, deliver, client):
    for friend in range(200, 210):
        deliver(registered(friend, inviter=INVITER), installed(friend, at=T0 + dt.timedelta(hours=1)))
    deliver(registered(INVITER))
    for box in list(MysteryBox.select()):
        As(client, box.user_id).post(f"/api/v1/referrals/boxes/{box.id}/open")
    assert LedgerEntry.select().count() == 20
    outbox = app.extensions["outbox"]
    counts, errors = [], []

    def run():
        try:
            with db.obj.connection_context():
                counts.append(ledger.credit_pending(outbox, limit=3))
                counts.append(ledger.credit_pending(outbox, limit=50))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(counts) == 20
    assert LedgerEntry.select().where(LedgerEntry.status == "credited").count() == 20
    events = credited_events()
    assert len(events) == 20 and len({e["entry_id"] for e in events}) == 20


def test_pages_walk_every_entry_once(client, deliver):
    deliver(registered(INVITER))
    for friend in range(300, 305):
        deliver(registered(friend, inviter=INVITER), installed(friend, at=T0 + dt.timedelta(hours=1)))
    inviter = As(client, INVITER)
    for box in inviter.get("/api/v1/referrals/boxes?limit=100").json["items"]:
        inviter.post(f"/api/v1/referrals/boxes/{box['id']}/open")
    seen, cursor = [], None
    while True:
        page = inviter.get("/api/v1/assets/capital-flows?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    bad = inviter.get("/api/v1/assets/capital-flows?cursor=nope")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_error"
