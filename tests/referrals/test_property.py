"""Property: whatever the order, duplicates and timestamps of a history, the boxes
granted are exactly what the program's rules say for that history.

The oracle below is written from the product rules, not from `rules.py`.
"""
import datetime as dt
import itertools
import random
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.referrals.models import MysteryBox
from tests.referrals.factories import T0, buy, deposit, installed, registered, with_new_id

RESTRICTED = "US"  # listed in the test service's REFERRAL_RESTRICTED_REGIONS
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
# The service accepts an event stamped up to five minutes before the registration (clock skew).
SKEW = dt.timedelta(minutes=5)
BOUNDARIES = [-SKEW - SECOND, -SKEW, dt.timedelta(0), 7 * DAY, 7 * DAY + SECOND, 14 * DAY, 14 * DAY + SECOND]
VALUES = [Decimal(v) for v in ("0.01", "10", "25", "49.99", "50", "120")]

_ids = itertools.count(1000, 10)

offsets = st.one_of(st.sampled_from(BOUNDARIES),
                    st.integers(min_value=-2 * 24 * 3600, max_value=20 * 24 * 3600).map(lambda s: s * SECOND))
activity = st.tuples(st.sampled_from(["install", "deposit", "buy"]), offsets, st.sampled_from(VALUES), st.booleans())
NORMAL = ["normal"] * 6
history = st.fixed_dictionaries({
    "invitee": st.sampled_from(NORMAL + ["sub_account", "restricted", "own_sub_account", "own_code"]),
    "inviter": st.sampled_from(NORMAL + ["restricted", "sub_account", "invitees_sub_account", "never_registers"]),
    "activities": st.lists(activity, max_size=7),
    "resend_same_id": st.lists(st.integers(min_value=0, max_value=20), max_size=4),
    "resend_new_id": st.lists(st.integers(min_value=0, max_value=20), max_size=4),
})


def expected_boxes(h, inviter_id, invitee_id) -> set:
    """The rules of the referral program, applied to one history."""
    if h["inviter"] != "normal" or h["invitee"] != "normal":
        return set()
    installs = [off for kind, off, _, _ in h["activities"] if kind == "install"]
    moved = sum((value for kind, off, value, _ in h["activities"]
                 if kind != "install" and -SKEW <= off <= 14 * DAY), Decimal(0))
    milestones = []
    if any(-SKEW <= off <= 7 * DAY for off in installs):
        milestones.append("app_installed")
    if moved >= 50:
        milestones.append("deposit_50")
    return {(user, milestone, role) for milestone in milestones
            for user, role in ((inviter_id, "inviter"), (invitee_id, "invitee"))}


def envelopes_for(h, inviter_id, invitee_id) -> list:
    invitee_parent = {"sub_account": invitee_id + 5, "own_sub_account": inviter_id}.get(h["invitee"])
    inviter_parent = {"sub_account": inviter_id + 5, "invitees_sub_account": invitee_id}.get(h["inviter"])
    code_owner = invitee_id if h["invitee"] == "own_code" else inviter_id
    events = [registered(invitee_id, inviter=code_owner, parent_id=invitee_parent,
                         region=RESTRICTED if h["invitee"] == "restricted" else "ES")]
    if h["inviter"] != "never_registers":
        events.append(registered(inviter_id, at=T0 - 3 * DAY, parent_id=inviter_parent,
                                 region=RESTRICTED if h["inviter"] == "restricted" else "FR"))
    for index, (kind, offset, value, with_tx) in enumerate(h["activities"]):
        at = T0 + offset
        if kind == "install":
            events.append(installed(invitee_id, at=at))
        else:
            make = deposit if kind == "deposit" else buy
            events.append(make(invitee_id, value, at=at, tx_id=f"tx-{invitee_id}-{index}" if with_tx else None))
    # Re-sent copies: the same envelope, or (for a fact with a transaction id) the same report under a new id.
    originals = list(events)
    events += [originals[i % len(originals)] for i in h["resend_same_id"]]
    events += [with_new_id(originals[i % len(originals)]) for i in h["resend_new_id"]
               if originals[i % len(originals)].type in ("user.registered.v1", "user.app_installed.v1")
               or originals[i % len(originals)].data.get("tx_id")]
    return events


def case(*activities, invitee="normal", inviter="normal", same=(), new=()):
    return {"invitee": invitee, "inviter": inviter, "activities": list(activities),
            "resend_same_id": list(same), "resend_new_id": list(new)}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=history, order=st.randoms(use_true_random=False))
# The edges of every rule, always tried besides the random histories.
@example(h=case(("install", 7 * DAY, VALUES[0], False)), order=random.Random(0))
@example(h=case(("install", 7 * DAY + SECOND, VALUES[0], False), ("buy", 14 * DAY + SECOND, VALUES[5], False)),
         order=random.Random(1))
@example(h=case(("install", DAY, VALUES[0], False), invitee="restricted"), order=random.Random(6))
@example(h=case(("install", DAY, VALUES[0], False), inviter="restricted"), order=random.Random(7))
@example(h=case(("buy", DAY, VALUES[5], False), invitee="own_sub_account"), order=random.Random(8))
@example(h=case(("install", DAY, VALUES[0], False), invitee="sub_account"), order=random.Random(9))
@example(h=case(("install", DAY, VALUES[0], False), invitee="own_code"), order=random.Random(10))
@example(h=case(("install", -SKEW - SECOND, VALUES[0], False), ("deposit", 14 * DAY + SECOND, VALUES[4], True)),
         order=random.Random(2))
@example(h=case(("install", -SKEW, VALUES[0], False), ("deposit", 14 * DAY, VALUES[3], True),
                ("buy", -SKEW, VALUES[0], False), same=[1, 2], new=[1, 2]), order=random.Random(3))
@example(h=case(("deposit", DAY, VALUES[3], True), same=[0, 1, 2], new=[2, 2]), order=random.Random(4))
@example(h=case(("install", DAY, VALUES[0], False), ("buy", DAY, VALUES[5], False), inviter="never_registers"),
         order=random.Random(5))
def test_boxes_granted_equal_what_the_rules_say(deliver, h, order):
    inviter_id = next(_ids)
    invitee_id = inviter_id + 1
    events = envelopes_for(h, inviter_id, invitee_id)
    order.shuffle(events)
    deliver(*events)
    granted = [(b.user_id, b.milestone, b.role) for b in MysteryBox.select().where(
        (MysteryBox.invitee_id == invitee_id) | MysteryBox.user_id.in_([inviter_id, invitee_id]))]
    assert len(granted) == len(set(granted))
    assert set(granted) == expected_boxes(h, inviter_id, invitee_id)
