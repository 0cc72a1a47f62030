"""Event handlers that keep the customer facts of `customers.models`: each is idempotent
on its own (an upsert keyed by the fact's id, or a change only a newer event makes), so a
redelivered or replayed event changes nothing, whatever the order events arrive in.
Each runs in the consumer's transaction, which also records the event as processed."""
from __future__ import annotations

from services.tickets.customers.models import (
    CustomerProfile,
    CustomerReferral,
    CustomerReferralBox,
    CustomerReward,
    CustomerVideoCall,
)
from shared import clock
from shared.events import Envelope, EventType

VIDEO_STATUS = {
    EventType.VIDEO_CALL_PROPOSED: "proposed",
    EventType.VIDEO_CALL_BOOKED: "booked",
    EventType.VIDEO_CALL_RESCHEDULED: "booked",
    EventType.VIDEO_CALL_CANCELLED: "cancelled",
    EventType.VIDEO_CALL_COMPLETED: "completed",
}


def _time(stamp: str | None, envelope: Envelope):
    try:
        return clock.parse_iso(stamp) if stamp else envelope.occurred
    except ValueError:
        return envelope.occurred


def _profile(user_id: int) -> CustomerProfile:
    CustomerProfile.insert(user_id=user_id).on_conflict_ignore().execute()
    return CustomerProfile.get_by_id(user_id)


def record_registration(envelope: Envelope) -> None:
    """`user.registered.v1`: the account's email, region, parent and date (and its first language)."""
    data = envelope.data
    registered_at = _time(data.get("registered_at"), envelope)
    profile = _profile(int(data["user_id"]))
    profile.email = str(data["email"]).lower()[:254]
    profile.region = (data.get("region") or "").upper()[:8] or None
    profile.parent_id = data.get("parent_id")
    profile.registered_at = registered_at
    if profile.locale_at is None or registered_at >= profile.locale_at:
        profile.locale, profile.locale_at = str(data["locale"])[:10], registered_at
    profile.save()


def record_profile_change(envelope: Envelope) -> None:
    """`user.profile_changed.v1`: the account's language, unless a newer change is already known."""
    data = envelope.data
    profile = _profile(int(data["user_id"]))
    if profile.locale_at is None or envelope.occurred >= profile.locale_at:
        profile.locale, profile.locale_at = str(data["locale"])[:10], envelope.occurred
        profile.save()


def record_video_call(envelope: Envelope) -> None:
    """`video.call_*.v1`: the call's latest status and time, for the requester's summary."""
    data = envelope.data
    requester = data["requester"]
    status = data.get("status") or VIDEO_STATUS.get(envelope.type)
    if envelope.type == EventType.VIDEO_CALL_COMPLETED and data.get("outcome") == "no_show":
        status = "no_show"
    if status is None:
        return
    slot_start = _time(data.get("slot_start"), envelope) if data.get("slot_start") else None
    values = {"ticket_number": str(data["ticket_number"])[:12], "requester_kind": requester["kind"],
              "user_id": requester.get("user_id"), "email": (requester.get("email") or "").lower()[:254] or None,
              "status": str(status)[:20], "slot_start": slot_start, "updated_at": envelope.occurred}
    call_id = int(data["call_id"])
    CustomerVideoCall.insert(call_id=call_id, **values).on_conflict_ignore().execute()
    # An older event arriving late leaves the newer state alone.
    (CustomerVideoCall.update(**values)
     .where((CustomerVideoCall.call_id == call_id) & (CustomerVideoCall.updated_at <= envelope.occurred)).execute())


def record_referral_standing(envelope: Envelope) -> None:
    """`referral.member_joined.v1`: eligible or why not, and whose invitee."""
    data = envelope.data
    values = {"eligible": bool(data["eligible"]), "reason": (data.get("reason") or None),
              "inviter_id": data.get("inviter_id"), "counts_as_invitee": bool(data.get("counts_as_invitee"))}
    user_id = int(data["user_id"])
    CustomerReferral.insert(user_id=user_id, **values).on_conflict_ignore().execute()
    CustomerReferral.update(**values).where(CustomerReferral.user_id == user_id).execute()


def record_box(envelope: Envelope) -> None:
    """`referral.box_granted.v1`: one more mystery box for the account (inviter's or invitee's)."""
    data = envelope.data
    (CustomerReferralBox.insert(box_id=int(data["box_id"]), user_id=int(data["user_id"]),
                                role=(data.get("role") or None), milestone=str(data["milestone"])[:40],
                                granted_at=envelope.occurred)
     .on_conflict_ignore().execute())


def record_reward(envelope: Envelope) -> None:
    """`referral.reward_credited.v1`: a reward paid into the account."""
    data = envelope.data
    (CustomerReward.insert(entry_id=int(data["entry_id"]), user_id=int(data["user_id"]),
                           asset=str(data["asset"])[:16], amount=str(data["amount"])[:64],
                           credited_at=envelope.occurred)
     .on_conflict_ignore().execute())
