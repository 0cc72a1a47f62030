"""Guest access to one ticket: the emailed link, a one-time code sent to the email
the link is bound to, and its check.

The code rules (digits, lifetime, tries, lock, send windows) live in
`shared/otp.py`; this module keeps the tickets service's rows. Every function runs
inside the caller's transaction and locks the ticket's verification row first, so
concurrent requests for one ticket queue instead of racing past the limits.
"""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from services.tickets.core.models import Ticket
from services.tickets.guest.models import GuestCode, GuestVerification
from services.tickets.models import db
from shared import clock, otp
from shared.db import for_update
from shared.errors import ApiError
from shared.events import EventType
from shared.guest_links import LinkExpired, LinkInvalid, verify_ticket_link

PURPOSE = "guest_ticket"
SEND_HISTORY = dt.timedelta(hours=1)  # older sends no longer count against any window


def invalid_link() -> ApiError:
    return ApiError(403, "invalid_link",
                    "This link is not valid for this ticket. Open the link from the latest email about it.")


def linked_ticket(number: str, token: str, secret: str) -> Ticket:
    """The guest ticket that this link opens: 403 `invalid_link` or 410 `link_expired` otherwise.

    A good signature is not enough: the ticket must still belong to the guest
    whose email the link is bound to.
    """
    try:
        email = verify_ticket_link(token, number, secret)
    except LinkExpired:
        raise ApiError(410, "link_expired",
                       "This link is older than 30 days. Each update email about the ticket carries a fresh one.") \
            from None
    except LinkInvalid:
        raise invalid_link() from None
    ticket = Ticket.get_or_none(Ticket.number == number)
    if ticket is None or ticket.requester_kind != "guest" \
            or not hmac.compare_digest(ticket.requester_email.encode(), email.lower().encode()):
        raise invalid_link()
    return ticket


def code_subject(ticket: Ticket) -> str:
    """What a code's hash is bound to, so that a code of one ticket means nothing on another."""
    return f"guest-ticket:{ticket.number}"


def _locked_row(ticket: Ticket) -> GuestVerification:
    """The ticket's verification row, made on first use and locked for this transaction."""
    GuestVerification.insert(ticket=ticket.id, wrong_tries=0).on_conflict_ignore().execute()
    query = GuestVerification.select().where(GuestVerification.ticket == ticket.id)
    return for_update(query, db.obj, skip_locked=False).get()


def request_code(outbox, ticket: Ticket, pepper: str) -> None:
    """Make a new code and ask the notifications service to email it to the ticket's guest.

    Refused with 429 while verification is locked, within a minute of the last
    send, or after five sends in the hour. The code leaves this function only in
    the outbox event; the database keeps its keyed hash.
    """
    now = clock.now()
    row = _locked_row(ticket)
    otp.check_not_locked(row.locked_until, now)
    recent = (GuestCode.select(GuestCode.created_at)
              .where((GuestCode.ticket == ticket.id) & (GuestCode.created_at > now - SEND_HISTORY)))
    otp.SendWindow([code.created_at for code in recent]).check(now)
    GuestCode.delete().where((GuestCode.ticket == ticket.id) & (GuestCode.created_at <= now - SEND_HISTORY)).execute()
    code = otp.new_code()
    GuestCode.create(ticket=ticket.id, code_hash=otp.hash_code(code, code_subject(ticket), pepper),
                     created_at=now, expires_at=now + otp.CODE_LIFETIME)
    outbox.add(EventType.GUEST_VERIFICATION_REQUESTED, {
        "purpose": PURPOSE, "address": ticket.requester_email, "code": code,
        "locale": ticket.locale, "ticket_number": ticket.number})


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one try; a wrong one must be committed before it is reported."""

    verified: bool
    attempts_left: int


def check_code(ticket: Ticket, code: str, pepper: str) -> CodeCheck:
    """Try `code` against the ticket's latest code, which it uses up when right.

    While verification is locked this raises 429 `verification_locked`, even for
    the right code. A wrong, used, superseded or expired code counts as a wrong
    try; the fifth locks verification for 15 minutes.
    """
    now = clock.now()
    row = _locked_row(ticket)
    otp.check_not_locked(row.locked_until, now)
    if row.locked_until is not None:  # the lock has run out: a fresh set of tries
        row.wrong_tries, row.locked_until = 0, None
    latest = (GuestCode.select().where(GuestCode.ticket == ticket.id)
              .order_by(GuestCode.created_at.desc(), GuestCode.id.desc()).first())
    # The hash is compared whatever the state of the code, so timing says nothing about it.
    matches = otp.code_matches("".join(code.split()), latest.code_hash if latest else "",
                               code_subject(ticket), pepper)
    if matches and latest.used_at is None and latest.expires_at > now:
        latest.used_at = now
        latest.save()
        row.wrong_tries, row.verified_at = 0, now
        row.save()
        return CodeCheck(True, otp.MAX_WRONG_TRIES)
    row.wrong_tries += 1
    if row.wrong_tries >= otp.MAX_WRONG_TRIES:
        row.locked_until = now + otp.LOCK_DURATION
    row.save()
    return CodeCheck(False, max(otp.MAX_WRONG_TRIES - row.wrong_tries, 0))


def session_grant(ticket: Ticket, ttl_seconds: int) -> dict:
    """What the gateway turns into a guest token and cookie for this one ticket."""
    return {"email": ticket.requester_email, "scope": {"ticket": ticket.number}, "ttl_seconds": ttl_seconds}
