"""The audit log: who did what to which ticket, from where; append-only.

Every staff access to a ticket or attachment, every change an agent makes, every
sign-in and every failed second factor is one row. The database refuses UPDATE,
DELETE (and TRUNCATE on PostgreSQL) on the table (migration 0003), as the referral
ledger does, so a row once written stays as written.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import peewee
from flask import has_request_context, request

from services.gateway.models import Account, BaseModel
from services.gateway.upstream import Route, forward
from shared import clock
from shared.errors import ApiError
from shared.internal_auth import Caller
from shared.pagination import keyset_page

log = logging.getLogger(__name__)


class AuditEvent(BaseModel):
    at = peewee.DateTimeField(default=clock.now, index=True)
    actor_id = peewee.IntegerField(null=True, index=True)
    actor_role = peewee.CharField(max_length=20, null=True)  # customer | agent | guest | anonymous
    actor_email = peewee.CharField(max_length=254, null=True)
    action = peewee.CharField(max_length=50, index=True)  # e.g. auth.login, ticket.viewed, message.redacted
    target_type = peewee.CharField(max_length=30, null=True)  # account | ticket | attachment | macro | ...
    target_id = peewee.CharField(max_length=100, null=True)
    ticket_number = peewee.CharField(max_length=20, null=True, index=True)
    ip = peewee.CharField(max_length=45, null=True)
    details = peewee.TextField(default="{}")

    class Meta:
        table_name = "audit_event"


def client_ip() -> str | None:
    """The caller's address as the gateway sees it (ProxyFix applies `TRUSTED_PROXY_COUNT`)."""
    return request.remote_addr if has_request_context() else None


def record(action: str, *, actor_id: int | None = None, actor_role: str | None = None,
           actor_email: str | None = None, target_type: str | None = None, target_id: str | int | None = None,
           ticket_number: str | None = None, details: dict | None = None, ip: str | None = None) -> AuditEvent:
    """Append one audit row (in the caller's transaction, if any). `details` must hold no secret."""
    return AuditEvent.create(
        action=action, actor_id=actor_id, actor_role=actor_role, actor_email=actor_email,
        target_type=target_type, target_id=None if target_id is None else str(target_id)[:100],
        ticket_number=None if ticket_number is None else str(ticket_number)[:20],
        ip=(ip if ip is not None else client_ip() or "")[:45] or None,
        details=json.dumps(details or {}, separators=(",", ":"), default=str))


def record_own(action: str, account, details: dict | None = None) -> AuditEvent:
    """An account acting on itself (sign-in, its 2FA, its anti-phishing code): actor and target alike."""
    return record(action, actor_id=account.id, actor_role=account.role, actor_email=account.email,
                  target_type="account", target_id=account.id, details=details)


def to_dict(event: AuditEvent) -> dict:
    return {
        "id": event.id, "at": clock.isoformat(event.at), "action": event.action,
        "actor": {"id": event.actor_id, "role": event.actor_role, "email": event.actor_email},
        "target": {"type": event.target_type, "id": event.target_id, "ticket_number": event.ticket_number},
        "ip": event.ip, "details": json.loads(event.details or "{}"),
    }


# --- Staff access and changes, recorded by the gateway after a service said yes -------------

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TICKET = r"^/api/v1/agent/tickets/(?P<ticket>[^/]+)"
MAX_DETAIL_CHARS = 1000


@dataclass(frozen=True)
class StaffAction:
    """What an agent's successful request means for the audit log."""

    methods: frozenset[str]
    pattern: re.Pattern
    action: str | None  # None: not recorded (a heartbeat changes nothing)
    target_type: str | None = None
    target: str | None = None  # the path's group that names the target
    request_fields: tuple[str, ...] = ()  # copied from the JSON request body into `details`
    from_answer: Callable[[dict], dict] | None = None  # details (and `target_id`) from the service's JSON answer
    request_line: bool = False  # `details` name the method and path (several calls share the action)


def staff(methods: str | frozenset, regex: str, action: str | None, target_type: str | None = None,
          target: str | None = None, request_fields: tuple[str, ...] = (), from_answer=None,
          request_line: bool = False) -> StaffAction:
    return StaffAction(frozenset({methods}) if isinstance(methods, str) else methods, re.compile(regex), action,
                       target_type, target, request_fields, from_answer, request_line)


def _new_message(answer: dict) -> dict:
    message = answer.get("message") if isinstance(answer.get("message"), dict) else {}
    return {"target_id": message.get("id"), "kind": message.get("kind"),
            "attachments": len(message.get("attachments") or [])}


def _new_call(answer: dict) -> dict:
    call = answer.get("call") if isinstance(answer.get("call"), dict) else {}
    return {"target_id": call.get("id")}


# First match wins. Paths that no service has yet are here already; an agent's unsafe call
# that matches nothing is still recorded, as `agent.action` with its method and path.
STAFF_ACTIONS: list[StaffAction] = [
    staff("GET", TICKET + r"$", "ticket.viewed", "ticket", "ticket"),
    staff("GET", TICKET + r"/context$", "ticket.context_viewed", "ticket", "ticket"),
    staff("GET", r"^/api/v1/attachments/(?P<attachment>[^/]+)$", "attachment.downloaded", "attachment", "attachment"),
    staff("POST", TICKET + r"/messages$", "message.added", "message", from_answer=_new_message),
    staff("POST", TICKET + r"/messages/(?P<message>[^/]+)/redaction$", "message.redacted", "message", "message",
          request_fields=("reason",)),
    staff("POST", TICKET + r"/macros/(?P<macro>[^/]+)$", "message.added", "message", from_answer=_new_message),
    staff("POST", TICKET + r"/assign$", "ticket.assigned", "ticket", "ticket", request_fields=("agent_id",)),
    staff("POST", TICKET + r"/resolve$", "ticket.resolved", "ticket", "ticket"),
    staff("POST", TICKET + r"/merge$", "ticket.merged", "ticket", "ticket", request_fields=("into",)),
    staff(frozenset({"PUT", "POST"}), TICKET + r"/tags$", "ticket.tagged", "ticket", "ticket",
          request_fields=("tags",)),
    staff("POST", TICKET + r"/presence$", None),
    staff("POST", TICKET + r"/video-calls$", "video_call.scheduled", "video_call", from_answer=_new_call),
    staff("POST", r"^/api/v1/agent/video-calls/(?P<call>[^/]+)/outcome$", "video_call.outcome_recorded",
          "video_call", "call", request_fields=("result",)),
    staff(UNSAFE, r"^/api/v1/agent/macros(/(?P<macro>[^/]+))?$", "macro.changed", "macro", "macro",
          request_line=True),
    staff("PUT", r"^/api/v1/admin/sla-policies$", "sla_policy.changed", "sla_policy"),
    staff("PUT", r"^/api/v1/admin/calendars$", "calendar.changed", "calendar"),
    staff(UNSAFE, r"^/api/v1/agent/help/articles/(?P<article>[^/]+)(/.*)?$", "help.changed", "help_article",
          "article", request_line=True),
    staff(UNSAFE, r"^/api/v1/(agent/)?help(/.*)?$", "help.changed", "help", request_line=True),
]
ANY_TICKET = re.compile(TICKET)


def staff_action(method: str, path: str) -> StaffAction | None:
    return next((entry for entry in STAFF_ACTIONS if method in entry.methods and entry.pattern.match(path)), None)


def forward_audited(target: Route, caller: Caller):
    """Forward an agent's request, then record what it read or changed (after the service's 2xx)."""
    entry = staff_action(request.method, request.path)
    if entry is not None and entry.request_fields:
        request.get_data(cache=True)  # `forward` reads the body uncached; keep it for the details
    response = forward(target, caller)
    if not target.stream and 200 <= response.status_code < 300:
        _record(entry, caller, request.method, request.path, request.remote_addr,
                request_body=request.get_data(cache=True) if entry and entry.request_fields else b"",
                answer=response.get_data() if entry and entry.from_answer else b"")
    return response


def record_staff_request(caller: Caller, method: str, path: str, status: int, ip: str | None,
                         request_body: bytes = b"", answer: bytes = b"") -> None:
    """One audit row for an agent's request the service answered with 2xx: reads of a ticket or an
    attachment, and every unsafe call. A read whose row cannot be written is refused (503): no
    staff access goes unrecorded. A change already made is answered, and the failure logged."""
    if 200 <= status < 300:
        _record(staff_action(method, path), caller, method, path, ip, request_body, answer)


def _record(entry: StaffAction | None, caller: Caller, method: str, path: str, ip: str | None,
            request_body: bytes = b"", answer: bytes = b"") -> None:
    """`record_staff_request` once the request's `staff_action` is known."""
    if entry is None and method not in UNSAFE or entry is not None and entry.action is None:
        return
    details: dict = {}
    target_id = None
    if entry is None:
        action, target_type = "agent.action", None
        details = {"method": method, "path": path[:300]}
        match = ANY_TICKET.match(path)
        ticket_number = match.group("ticket") if match else None
    else:
        action, target_type = entry.action, entry.target_type
        match = entry.pattern.match(path)
        groups = match.groupdict()
        ticket_number = groups.get("ticket")
        target_id = groups.get(entry.target) if entry.target else None
        details.update({f"{name}_id": value for name, value in groups.items() if name != "ticket" and value})
        if entry.request_line:
            details.update(method=method, path=path[:300])
        if entry.request_fields:
            sent = _json_object(request_body)
            details.update({name: _bounded(sent[name]) for name in entry.request_fields if name in sent})
        if entry.from_answer is not None:
            described = entry.from_answer(_json_object(answer))
            target_id = described.pop("target_id", None) or target_id
            details.update({key: value for key, value in described.items() if value is not None})
    try:
        record(action, actor_id=caller.user_id, actor_role=caller.role, actor_email=caller.email,
               target_type=target_type, target_id=target_id, ticket_number=ticket_number, details=details, ip=ip)
    except peewee.PeeweeException as exc:
        log.error("audit row not written", extra={"action": action, "actor_id": caller.user_id,
                                                  "ticket_number": ticket_number, "error": type(exc).__name__})
        if method not in UNSAFE:
            raise ApiError(503, "audit_unavailable",
                           "This access could not be recorded in the audit log; please try again.") from None


def _json_object(body: bytes) -> dict:
    try:
        value = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _bounded(value):
    if isinstance(value, str):
        return value[:MAX_DETAIL_CHARS]
    if isinstance(value, list):
        return [_bounded(item) for item in value[:50]]
    return value if isinstance(value, (int, float, bool)) or value is None else str(value)[:MAX_DETAIL_CHARS]


# --- Searching and exporting ----------------------------------------------------------------

EXPORT_LIMIT = 100_000
ACCOUNT_ID = re.compile(r"[0-9]{1,12}")
CSV_COLUMNS = ("id", "at", "actor_id", "actor_role", "actor_email", "action", "target_type", "target_id",
               "ticket_number", "ip", "details")


def matching(actor: str | None = None, ticket: str | None = None, action: str | None = None,
             since: dt.datetime | None = None, until: dt.datetime | None = None) -> peewee.ModelSelect:
    """The events that match the filters; `actor` is an account id or an email."""
    query = AuditEvent.select()
    if actor:
        if ACCOUNT_ID.fullmatch(actor):
            query = query.where(AuditEvent.actor_id == int(actor))
        else:
            email = actor.strip().lower()
            account = Account.get_or_none(Account.email == email)
            by_email = AuditEvent.actor_email == email
            query = query.where(by_email | (AuditEvent.actor_id == account.id) if account else by_email)
    if ticket:
        query = query.where(AuditEvent.ticket_number == ticket)
    if action:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= clock.to_naive_utc(since))
    if until is not None:
        query = query.where(AuditEvent.at <= clock.to_naive_utc(until))
    return query


def export_rows(query: peewee.ModelSelect, limit: int = EXPORT_LIMIT, batch: int = 1000) -> Iterator[tuple]:
    """Every matching event as a CSV row, newest first, read in pages (at most `limit` rows)."""
    cursor, left = None, limit
    while left > 0:
        rows, cursor = keyset_page(query.clone(), [AuditEvent.id], min(batch, left), cursor)
        for event in rows:
            yield tuple(_csv_cell(value) for value in (
                event.id, clock.isoformat(event.at), event.actor_id, event.actor_role, event.actor_email, event.action,
                event.target_type, event.target_id, event.ticket_number, event.ip, event.details))
        left -= len(rows)
        if cursor is None:
            return


def _csv_cell(value) -> str:
    """A spreadsheet must not run what an agent typed: text that starts like a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
