"""The requester's context beside a ticket: the account's facts (from `user.*` events),
their tickets, video calls and referral standing, as the tickets service knows them."""
from __future__ import annotations

from services.tickets.core.access import visible_to
from services.tickets.core.models import ACTIVE_STATUSES, Ticket
from services.tickets.customers.models import (
    CustomerProfile,
    CustomerReferral,
    CustomerReferralBox,
    CustomerReward,
    CustomerVideoCall,
)
from shared import clock
from shared.internal_auth import Caller

RECENT = 5


def _tickets(agent: Caller, ticket: Ticket, mine) -> dict:
    """Counts of all the requester's tickets; the latest others the agent may see."""
    total = Ticket.select().where(mine).count()
    active = Ticket.select().where(mine & Ticket.status.in_(ACTIVE_STATUSES)).count()
    recent = (Ticket.select().where(mine & (Ticket.id != ticket.id) & visible_to(agent))
              .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(RECENT))
    return {"open": active, "total": total,
            "recent": [{"number": t.number, "subject": t.subject, "category": t.category, "status": t.status,
                        "created_at": clock.isoformat(t.created_at)} for t in recent]}


def _video_calls(whose) -> dict:
    calls = list(CustomerVideoCall.select().where(whose)
                 .order_by(CustomerVideoCall.updated_at.desc(), CustomerVideoCall.call_id.desc()).limit(RECENT))
    items = [{"id": c.call_id, "ticket_number": c.ticket_number, "status": c.status,
              "slot_start": clock.isoformat(c.slot_start), "at": clock.isoformat(c.updated_at)} for c in calls]
    return {"total": CustomerVideoCall.select().where(whose).count(),
            "last": items[0] if items else None, "recent": items}


def _referral(user_id: int, profile: CustomerProfile | None) -> dict:
    standing = CustomerReferral.get_or_none(CustomerReferral.user_id == user_id)
    if standing is not None:
        eligible, reason = standing.eligible, standing.reason
    elif profile is not None and profile.parent_id is not None:
        eligible, reason = False, "sub_account"
    else:
        eligible, reason = None, "unknown"  # the referral program has not reported on the account yet
    invitees = (CustomerReferral.select()
                .where((CustomerReferral.inviter_id == user_id) & CustomerReferral.counts_as_invitee).count())
    return {"eligible": eligible, "reason": reason, "invitees": invitees if eligible is not False else 0,
            "boxes_earned": CustomerReferralBox.select().where(CustomerReferralBox.user_id == user_id).count(),
            "rewards_credited": CustomerReward.select().where(CustomerReward.user_id == user_id).count()}


def context(agent: Caller, ticket: Ticket) -> dict:
    if ticket.requester_kind == "guest":
        email = ticket.requester_email
        mine = (Ticket.requester_kind == "guest") & (Ticket.requester_email == email)
        return {"guest": True, "email": email, "tickets": _tickets(agent, ticket, mine),
                "video_calls": _video_calls((CustomerVideoCall.requester_kind == "guest")
                                            & (CustomerVideoCall.email == email))}
    user_id = ticket.requester_user_id
    profile = CustomerProfile.get_or_none(CustomerProfile.user_id == user_id)
    mine = (Ticket.requester_kind == "user") & (Ticket.requester_user_id == user_id)
    known = profile is not None and profile.registered_at is not None
    return {"requester": {
        "id": user_id,
        "email": profile.email if profile is not None and profile.email else ticket.requester_email,
        "locale": profile.locale if profile is not None and profile.locale else ticket.locale,
        "region": profile.region if profile is not None else None,
        "is_sub_account": (profile.parent_id is not None) if known else None,
        "parent_id": profile.parent_id if profile is not None else None,
        "registered_at": clock.isoformat(profile.registered_at) if known else None,
        "tickets": _tickets(agent, ticket, mine),
        "video_calls": _video_calls(CustomerVideoCall.user_id == user_id),
        "referral": _referral(user_id, profile),
    }}
