"""The program reports each account it takes in (`referral.member_joined.v1`), once: whether it
may take part and whose invitee it counts as, for support's view of the customer."""
import json

from services.referrals.models import OutboxMessage
from tests.referrals.factories import registered, with_new_id

INVITER, FRIEND, CHILD, FAR = 10, 11, 12, 13


def joined():
    return {e["user_id"]: e for e in (json.loads(row.payload)["data"] for row in OutboxMessage.select()
            .where(OutboxMessage.event_type == "referral.member_joined.v1").order_by(OutboxMessage.id))}


def test_each_registration_is_reported_once_with_its_standing(deliver):
    first = registered(FRIEND, inviter=INVITER)
    deliver(registered(INVITER), first, registered(CHILD, inviter=INVITER, parent_id=INVITER),
            registered(FAR, inviter=INVITER, region="US"))
    deliver(with_new_id(first))  # the same account again: no second report
    events = joined()
    assert len(OutboxMessage.select().where(OutboxMessage.event_type == "referral.member_joined.v1")) == 4
    assert events[INVITER] == {"user_id": INVITER, "eligible": True, "reason": None, "inviter_id": None,
                               "counts_as_invitee": False}
    assert events[FRIEND] == {"user_id": FRIEND, "eligible": True, "reason": None, "inviter_id": INVITER,
                              "counts_as_invitee": True}
    assert (events[CHILD]["eligible"], events[CHILD]["reason"], events[CHILD]["counts_as_invitee"]) == (
        False, "sub_account", False)
    assert (events[FAR]["eligible"], events[FAR]["reason"], events[FAR]["counts_as_invitee"]) == (
        False, "restricted_region", False)
