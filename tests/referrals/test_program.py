"""Invitations and milestones through the service's consumer, on SQLite and PostgreSQL."""
import datetime as dt
import json

from services.referrals.models import Activity, OutboxMessage
from shared import clock
from shared.events import Envelope
from tests.referrals.conftest import As, boxes_of
from tests.referrals.factories import T0, buy, code_of, deposit, installed, registered, with_new_id
from tests.support import agent, token

DAY = dt.timedelta(days=1)
INVITER, FRIEND = 10, 11


def granted_events():
    return [json.loads(row.payload)["data"] for row in
            OutboxMessage.select().where(OutboxMessage.event_type == "referral.box_granted.v1")
            .order_by(OutboxMessage.id)]


def test_install_within_seven_days_gives_one_box_each_and_events(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER, at=T0 + DAY))
    assert boxes_of(INVITER) == [] and boxes_of(FRIEND) == []
    deliver(installed(FRIEND, at=T0 + 8 * DAY))  # seven days after the friend registered
    assert boxes_of(INVITER) == [("app_installed", "inviter", FRIEND)]
    assert boxes_of(FRIEND) == [("app_installed", "invitee", FRIEND)]
    events = granted_events()
    assert sorted((e["user_id"], e["milestone"], e["role"]) for e in events) == [
        (INVITER, "app_installed", "inviter"), (FRIEND, "app_installed", "invitee")]


def test_deposits_count_together_only_from_fifty_usdt(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    deliver(deposit(FRIEND, "49.99", at=T0 + DAY))
    assert boxes_of(FRIEND) == []
    deliver(buy(FRIEND, "0.01", at=T0 + 14 * DAY))
    assert boxes_of(FRIEND) == [("deposit_50", "invitee", FRIEND)]
    assert boxes_of(INVITER) == [("deposit_50", "inviter", FRIEND)]


def test_late_events_count_for_nothing(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    deliver(installed(FRIEND, at=T0 + 7 * DAY + dt.timedelta(seconds=1)),
            deposit(FRIEND, "40", at=T0 + DAY), deposit(FRIEND, "10", at=T0 + 14 * DAY + dt.timedelta(seconds=1)),
            deposit(FRIEND, "1000", at=T0 - DAY))
    assert boxes_of(FRIEND) == [] and boxes_of(INVITER) == []


def test_facts_before_the_registration_are_judged_when_it_arrives(deliver):
    deliver(deposit(FRIEND, "30", at=T0 + DAY), installed(FRIEND, at=T0 + 2 * DAY))
    deliver(deposit(FRIEND, "20", at=T0 + 3 * DAY))
    assert boxes_of(FRIEND) == []
    deliver(registered(FRIEND, inviter=INVITER))
    assert boxes_of(FRIEND) == []  # the inviter is not known yet
    deliver(registered(INVITER, at=T0 - 30 * DAY))
    assert boxes_of(FRIEND) == [("app_installed", "invitee", FRIEND), ("deposit_50", "invitee", FRIEND)]
    assert boxes_of(INVITER) == [("app_installed", "inviter", FRIEND), ("deposit_50", "inviter", FRIEND)]


def test_a_milestone_pays_once_however_often_its_events_arrive(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    install = installed(FRIEND, at=T0 + DAY)
    big = deposit(FRIEND, "80", at=T0 + DAY, tx_id="0xfeed")
    deliver(install, install, with_new_id(install), installed(FRIEND, at=T0 + 2 * DAY, platform="android"))
    deliver(big, with_new_id(big), deposit(FRIEND, "500", at=T0 + 3 * DAY))
    deliver(registered(FRIEND, inviter=INVITER), registered(INVITER))
    assert boxes_of(FRIEND) == [("app_installed", "invitee", FRIEND), ("deposit_50", "invitee", FRIEND)]
    assert boxes_of(INVITER) == [("app_installed", "inviter", FRIEND), ("deposit_50", "inviter", FRIEND)]
    assert len(granted_events()) == 4


def test_the_same_transaction_reported_twice_counts_once(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    first = deposit(FRIEND, "30", at=T0 + DAY, tx_id="0xabc")
    deliver(first, with_new_id(first))  # 30 + 30 would reach 50 if the retry counted
    assert boxes_of(FRIEND) == []


def test_no_cap_per_inviter(deliver):
    deliver(registered(INVITER))
    friends = range(100, 112)
    for friend in friends:
        deliver(registered(friend, inviter=INVITER), installed(friend, at=T0 + DAY))
    assert len(boxes_of(INVITER)) == len(friends)


def test_sub_accounts_restricted_regions_and_self_referrals_earn_nothing(deliver):
    deliver(registered(INVITER), registered(50, region="US"), registered(60, parent_id=INVITER))
    cases = [
        registered(20, inviter=INVITER, parent_id=70),  # a sub-account invitee
        registered(21, inviter=INVITER, region="US"),  # an invitee in a restricted region
        registered(22, inviter=50),  # the inviter is in a restricted region
        registered(23, inviter=60),  # the inviter is a sub-account
        registered(61, inviter=INVITER, parent_id=INVITER),  # the inviter's own sub-account
        registered(INVITER + 1000, inviter=INVITER + 1000),  # its own code
    ]
    deliver(*cases)
    deliver(registered(80, inviter=81), registered(81, parent_id=80))  # the inviter is the invitee's sub-account
    for user in (20, 21, 22, 23, 61, INVITER + 1000, 80):
        deliver(installed(user, at=T0 + DAY), deposit(user, "100", at=T0 + DAY))
    for user in (INVITER, 20, 21, 22, 23, 50, 60, 61, INVITER + 1000, 80, 81):
        assert boxes_of(user) == [], user
    assert granted_events() == []


def test_me_gives_code_link_and_counts(client, deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER), registered(12, inviter=INVITER, region="US"),
            registered(13, inviter=INVITER), installed(FRIEND, at=T0 + DAY))
    me = As(client, INVITER).get("/api/v1/referrals/me")
    assert me.status_code == 200
    assert me.json == {"code": code_of(INVITER), "link": f"https://exchange.example/register?ref={code_of(INVITER)}",
                       "eligible": True, "reason": None, "reason_message": None, "invitees": 2, "boxes_earned": 1}


def test_invitees_list_their_milestones_not_who_they_are(client, deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER), registered(12, inviter=INVITER, region="US"),
            registered(13, inviter=INVITER), installed(FRIEND, at=T0 + DAY),
            deposit(FRIEND, "60", at=T0 + 2 * DAY))
    listed = As(client, INVITER).get("/api/v1/referrals/invitees")
    assert listed.status_code == 200
    items = listed.json["items"]
    assert [sorted(item["milestones"]) for item in items] == [[], ["app_installed", "deposit_50"]]
    assert all(set(item) == {"registered_at", "milestones"} for item in items)
    first = As(client, INVITER).get("/api/v1/referrals/invitees?limit=1").json
    assert len(first["items"]) == 1 and first["next_cursor"]
    rest = As(client, INVITER).get(f"/api/v1/referrals/invitees?limit=1&cursor={first['next_cursor']}").json
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert As(client, FRIEND).get("/api/v1/referrals/invitees").json["items"] == []
    assert As(client, INVITER).get("/api/v1/referrals/invitees?cursor=x").status_code == 400


def test_me_tells_the_ineligible_why_and_gives_no_code(client, deliver):
    deliver(registered(30, region="us"), registered(31, parent_id=INVITER))
    restricted = As(client, 30).get("/api/v1/referrals/me").json
    assert (restricted["eligible"], restricted["reason"], restricted["code"], restricted["link"]) == (
        False, "restricted_region", None, None)
    assert "region" in restricted["reason_message"]
    sub = As(client, 31, parent_id=INVITER).get("/api/v1/referrals/me").json
    assert (sub["eligible"], sub["reason"], sub["code"]) == (False, "sub_account", None)
    # Before the registration event arrives the service cannot tell the region yet.
    pending = As(client, 32).get("/api/v1/referrals/me").json
    assert (pending["eligible"], pending["reason"], pending["code"]) == (False, "account_pending", None)


def test_agents_cannot_use_the_customer_endpoints(client):
    response = client.get("/api/v1/referrals/me", headers=token("referrals", **agent()))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/referrals/me").status_code == 401


def test_the_events_own_timestamp_in_data_wins_over_the_envelopes(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    # Published on day 1, but it says the install happened on day 10.
    late = Envelope.new("user.app_installed.v1", {"user_id": FRIEND, "occurred_at": clock.isoformat(T0 + 10 * DAY)},
                        "app-backend", occurred_at=T0 + DAY)
    deliver(late)
    assert boxes_of(FRIEND) == []
    on_time = Envelope.new("user.app_installed.v1", {"user_id": FRIEND, "occurred_at": clock.isoformat(T0 + DAY)},
                           "app-backend", occurred_at=T0 + 10 * DAY)
    deliver(on_time)
    assert boxes_of(FRIEND) == [("app_installed", "invitee", FRIEND)]


def test_long_transaction_ids_are_told_apart(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    prefix = "0x" + "a" * 300
    deliver(deposit(FRIEND, "25", at=T0 + DAY, tx_id=prefix + "1"),
            deposit(FRIEND, "25", at=T0 + DAY, tx_id=prefix + "2"))
    assert boxes_of(FRIEND) == [("deposit_50", "invitee", FRIEND)]


def test_absurd_values_are_stored_bounded_and_exactly(deliver):
    deliver(registered(INVITER), registered(FRIEND, inviter=INVITER))
    deliver(deposit(FRIEND, "1e999999", at=T0 + DAY), buy(FRIEND, "0.0000000000000001", at=T0 + DAY))
    assert sorted(str(a.usdt_value) for a in Activity.select()) == ["0E-12", "1000000000000.000000000000"]
    assert boxes_of(FRIEND) == [("deposit_50", "invitee", FRIEND)]
