"""What happens to a ticket: creation, messages, the status life cycle, escalation,
assignment, auto-close. Each function runs inside the caller's transaction and
writes its events to the outbox in that same transaction."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import NamedTuple

from services.tickets.core.attachments import AttachmentStore, CheckedFile
from services.tickets.core.merge_links import ensure_not_merged, first_open
from services.tickets.core.models import ACTIVE_STATUSES, Attachment, Message, Ticket
from services.tickets.sla import clocks as sla_clocks
from services.tickets.workspace import assignment
from shared import clock
from shared.errors import ApiError
from shared.events import EventType
from shared.internal_auth import Caller

SYSTEM_NAME = "Support"


@dataclass(frozen=True)
class Author:
    role: str  # customer | guest | agent | system | bot
    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, caller: Caller) -> Author:
        if caller.is_guest:
            return cls("guest", caller.name or (caller.email or "Guest").split("@")[0])
        role = "agent" if caller.is_agent else "customer"
        return cls(role, caller.name or (caller.email or role).split("@")[0], caller.user_id)


SYSTEM = Author("system", SYSTEM_NAME)


@dataclass(frozen=True)
class Requester:
    kind: str
    email: str
    user_id: int | None = None
    name: str | None = None
    locale: str = "en"


def new_ticket_number() -> str:
    """Eight random digits: readable, unique (`insert_ticket` draws again when taken), and never enough alone to
    open a ticket."""
    return str(10_000_000 + secrets.randbelow(90_000_000))


def insert_ticket(**values) -> Ticket:
    """The new ticket, under a number no other has: the unique index decides in the INSERT itself (no look-up
    first), and a number already taken is drawn again."""
    while True:
        number = new_ticket_number()
        inserted = (Ticket.insert(number=number, **values).on_conflict(conflict_target=[Ticket.number], action="NOTHING")
                    .returning(Ticket.id).tuples().execute())
        for (ticket_id,) in inserted:
            return Ticket(id=ticket_id, number=number, **values)


def requester_filter(requester: Requester):
    if requester.kind == "user":
        return (Ticket.requester_kind == "user") & (Ticket.requester_user_id == requester.user_id)
    return (Ticket.requester_kind == "guest") & (Ticket.requester_email == requester.email.lower())


def find_duplicate(requester: Requester, txid: str | None, order_id: str | None) -> Ticket | None:
    """An open ticket of the same requester about the same transaction or order (a merged one leads to its target)."""
    keys = []
    if txid:
        keys.append(Ticket.txid == txid)
    if order_id:
        keys.append(Ticket.order_id == order_id)
    if not keys:
        return None
    match = keys[0] if len(keys) == 1 else (keys[0] | keys[1])
    return first_open(Ticket.select().where(requester_filter(requester) & match & (
        Ticket.status.in_(ACTIVE_STATUSES) | Ticket.merged_into.is_null(False))).order_by(Ticket.id))


def similar_open_tickets(requester: Requester, category: str) -> list[Ticket]:
    """Up to five: their number, subject, status and category (all the answer shows of them). Read before the
    ticket's transaction, which it need not lengthen: SQLite's writers take turns for as long as one lasts."""
    return list(Ticket.select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.category).where(requester_filter(requester) & Ticket.status.in_(ACTIVE_STATUSES)
                                      & (Ticket.category == category))
                .order_by(Ticket.updated_at.desc()).limit(5))


def event_data(ticket: Ticket, **extra) -> dict:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "category": ticket.category,
        "status": ticket.status,
        "requester": {"kind": ticket.requester_kind, "user_id": ticket.requester_user_id,
                      "email": ticket.requester_email, "locale": ticket.locale},
        "assignee_id": ticket.assignee_id,
        "tier": ticket.tier,
        "department": ticket.department,
        **({"merged_into": ticket.merged_into} if ticket.merged_into else {}),  # where a merged one continues
        **extra,
    }


class NewTicket(NamedTuple):
    ticket: Ticket
    messages: list[tuple[Message, list[Attachment]]]  # its one message: no query needed to show it


def create_ticket(outbox, store: AttachmentStore, requester: Requester, fields: dict,
                  files: list[CheckedFile], channel: str = "web") -> NewTicket:
    duplicate = find_duplicate(requester, fields.get("txid"), fields.get("order_id"))
    if duplicate is not None:
        raise ApiError(409, "duplicate_ticket",
                       f"Ticket {duplicate.number} about this transaction or order is still open; "
                       "please continue there.", {"ticket_number": duplicate.number})
    now = clock.now()
    occurred_at = fields.get("occurred_at")
    if occurred_at is not None:
        occurred_at = clock.to_naive_utc(occurred_at)
        if occurred_at > now + dt.timedelta(minutes=5):
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                           {"fields": {"occurred_at": ["The time of the problem cannot be in the future."]}})
    ticket = insert_ticket(
        requester_kind=requester.kind, requester_user_id=requester.user_id,
        requester_email=requester.email.lower(), requester_name=requester.name,
        locale=fields.get("locale") or requester.locale or "en", channel=channel,
        subject=fields["subject"].strip(), category=fields["category"], description=fields["description"],
        txid=fields.get("txid"), order_id=fields.get("order_id"), occurred_at=occurred_at,
        status="open", created_at=now, updated_at=now,
    )
    author = Author(requester.kind if requester.kind == "guest" else "customer",
                    requester.name or requester.email.split("@")[0], requester.user_id)
    first = Message.create(ticket=ticket, author_role=author.role, author_id=author.user_id,
                           author_name=author.name, kind="reply", body=fields["description"], created_at=now)
    attachments = _attach(store, ticket, first, files)
    auto_assign(outbox, ticket)
    sla_clocks.ticket_created(ticket)
    outbox.add(EventType.TICKET_CREATED, event_data(ticket, channel=channel))
    return NewTicket(ticket, [(first, attachments)])


def _attach(store: AttachmentStore, ticket: Ticket, message: Message, files: list[CheckedFile]) -> list[Attachment]:
    attachments = []
    for checked in files:
        attachment_id, storage_name = store.save(checked)
        attachments.append(Attachment.create(
            id=attachment_id, ticket=ticket, message=message, filename=checked.filename,
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256, storage_name=storage_name))
    return attachments


def reopen_deadline(ticket: Ticket, window_days: int) -> dt.datetime | None:
    if ticket.status != "resolved" or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + dt.timedelta(days=window_days)


def is_closed(ticket: Ticket, window_days: int) -> bool:
    """Closed, or resolved with its quiet days passed (the scheduler will record the close)."""
    deadline = reopen_deadline(ticket, window_days)
    return ticket.status == "closed" or (deadline is not None and clock.now() >= deadline)


def ensure_not_closed(ticket: Ticket, window_days: int) -> None:
    """Refuse activity on a closed ticket."""
    ensure_not_merged(ticket)
    if is_closed(ticket, window_days):
        raise ApiError(409, "ticket_closed",
                       "This ticket is closed and can no longer be answered. Please open a new ticket.",
                       {"ticket_number": ticket.number})


def set_status(outbox, ticket: Ticket, new_status: str, note: str | None = None) -> None:
    old_status = ticket.status
    if old_status == new_status:
        return
    now = clock.now()
    ticket.status = new_status
    ticket.updated_at = now
    if new_status == "resolved":
        ticket.resolved_at = now
    if new_status == "closed":
        ticket.closed_at = now
    if new_status in ACTIVE_STATUSES:
        ticket.resolved_at = None
    ticket.save()
    sla_clocks.status_changed(ticket, old_status, new_status, now)
    add_system_message(ticket, note or f"Status changed from {old_status} to {new_status}.")
    outbox.add(EventType.TICKET_STATUS_CHANGED, event_data(ticket, old_status=old_status, new_status=new_status))


def add_system_message(ticket: Ticket, body: str) -> Message:
    return Message.create(ticket=ticket, author_role=SYSTEM.role, author_name=SYSTEM.name,
                          kind="event", body=body, created_at=clock.now())


def add_message(outbox, store: AttachmentStore, ticket: Ticket, author: Author, kind: str, body: str,
                files: list[CheckedFile], *, window_days: int) -> Message:
    if not body.strip() and not files:
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": {"body": ["Write a message or attach a file."]}})
    ensure_not_closed(ticket, window_days)
    now = clock.now()
    message = Message.create(ticket=ticket, author_role=author.role, author_id=author.user_id,
                             author_name=author.name, kind=kind, body=body.strip(), created_at=now)
    _attach(store, ticket, message, files)
    if kind != "note":
        ticket.updated_at = now
        ticket.save(only=[Ticket.updated_at])  # nothing else of it changed here: a one-column UPDATE
    if author.role in ("customer", "guest") and ticket.assignee_id is None:
        auto_assign(outbox, ticket)
    outbox.add(EventType.TICKET_MESSAGE_ADDED,
               event_data(ticket, message_id=message.id, kind=kind, author_role=author.role))
    if author.role in ("customer", "guest") and ticket.status in ("awaiting_user", "resolved"):
        set_status(outbox, ticket, "open",
                   "The customer replied; the ticket is open again." if ticket.status == "resolved"
                   else "The customer sent the details; waiting for support.")
    elif kind == "info_request" and ticket.status == "open":
        set_status(outbox, ticket, "awaiting_user", "Support asked for more details.")
    sla_clocks.message_added(ticket, author.role, kind, now)
    return message


def resolve(outbox, ticket: Ticket, window_days: int) -> None:
    ensure_not_closed(ticket, window_days)
    set_status(outbox, ticket, "resolved", "Support marked the problem as solved.")


def assign(outbox, ticket: Ticket, agent_id: int | None, assigned_by: str = "agent") -> None:
    """Give the ticket to an agent (None: back to the queue), with `ticket.assigned.v1`."""
    previous = ticket.assignee_id
    if previous == agent_id:
        return
    ticket.assignee_id = agent_id
    ticket.save()
    if agent_id is not None:
        assignment.note_assignment(agent_id)
    outbox.add(EventType.TICKET_ASSIGNED,
               event_data(ticket, previous_assignee_id=previous, assigned_by=assigned_by))


def auto_assign(outbox, ticket: Ticket) -> None:
    """Round robin within the ticket's group (workspace/assignment.py), unless its assignee is of
    that group already; an assignee of another group (after an escalation) gives it up."""
    if ticket.assignee_id is not None and assignment.belongs(ticket.assignee_id, ticket):
        return
    chosen = assignment.choose(ticket)
    assign(outbox, ticket, chosen.user_id if chosen else None, "auto")


def close_quiet_resolved(outbox, window_days: int, limit: int = 500) -> int:
    """Close resolved tickets after their quiet days; called by the worker's scheduler."""
    cutoff = clock.now() - dt.timedelta(days=window_days)
    due = list(Ticket.select().where((Ticket.status == "resolved") & (Ticket.resolved_at <= cutoff))
               .order_by(Ticket.resolved_at).limit(limit))
    for ticket in due:
        set_status(outbox, ticket, "closed",
                   f"The ticket was closed after {window_days} days without activity.")
    return len(due)
