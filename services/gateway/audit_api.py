"""The audit log for supervisors: search it page by page, or export it as CSV.

The gateway keeps the log (it is the one place that sees every request with its
caller and client address), so it answers these itself.
"""
from __future__ import annotations

import csv
import io
import re

import marshmallow as ma
from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import fields, validate

from services.gateway import audit, identity
from shared import clock
from shared.errors import ApiError
from shared.internal_auth import Caller
from shared.pagination import cursor_field, keyset_page, limit_field
from shared.web import Blueprint

blp = Blueprint("audit", __name__, url_prefix="/api/v1/admin", description="The audit log (supervisors)")

SUPERVISOR_ROLE = "supervisor"
PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Control characters are not allowed.")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def require_supervisor() -> Caller:
    """An agent with the supervisor role: 401 for nobody, 403 `forbidden` for everyone else,
    403 `mfa_enrollment_required` for an agent without 2FA while agents must have it."""
    caller = identity.require_staff()
    if SUPERVISOR_ROLE not in caller.roles:
        raise ApiError(403, "forbidden", "The audit log is for supervisors.")
    return caller


class Instant(fields.DateTime):
    """An ISO 8601 date-time (UTC unless it names an offset), or a date for its midnight UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and DATE_ONLY.match(value):
            value += "T00:00:00"
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return clock.to_naive_utc(moment)
        except (OverflowError, ValueError):
            raise ma.ValidationError("Not a valid date-time.") from None


class AuditFilterQuery(ma.Schema):
    actor = fields.String(load_default=None, validate=[validate.Length(min=1, max=254), PRINTABLE],
                          metadata={"description": "an account id or an email"})
    ticket = fields.String(load_default=None, validate=[validate.Length(min=1, max=20), PRINTABLE],
                           metadata={"description": "a ticket number"})
    action = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z_]{1,30}(\.[a-z_]{1,30}){0,2}$",
                                                                         error="Not an action, e.g. ticket.viewed."))
    since = Instant(data_key="from", load_default=None, metadata={"description": "ISO 8601, inclusive"})
    until = Instant(data_key="to", load_default=None, metadata={"description": "ISO 8601, inclusive"})

    @ma.validates_schema
    def _check_period(self, data, **_):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ma.ValidationError("`to` is before `from`.", "to")


class AuditPageQuery(AuditFilterQuery):
    cursor = cursor_field(1)
    limit = limit_field(default=50, maximum=200)


class AuditActorOut(ma.Schema):
    id = fields.Integer(allow_none=True)
    role = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class AuditTargetOut(ma.Schema):
    type = fields.String(allow_none=True)
    id = fields.String(allow_none=True)
    ticket_number = fields.String(allow_none=True)


class AuditEventOut(ma.Schema):
    id = fields.Integer()
    at = fields.String()
    actor = fields.Nested(AuditActorOut)
    action = fields.String()
    target = fields.Nested(AuditTargetOut)
    ip = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageOut(ma.Schema):
    items = fields.List(fields.Nested(AuditEventOut))
    next_cursor = fields.String(allow_none=True)


def _filters(args: dict) -> dict:
    return {name: args.get(name) for name in ("actor", "ticket", "action", "since", "until")}


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @blp.arguments(AuditPageQuery, location="query", as_kwargs=True)
    @blp.response(200, AuditPageOut)
    def get(self, cursor=None, limit=50, **filters):
        """Audit events, newest first, filtered by actor, ticket, action and period (supervisors)."""
        require_supervisor()
        rows, next_cursor = keyset_page(audit.matching(**_filters(filters)), [audit.AuditEvent.id], limit, cursor)
        return {"items": [audit.to_dict(event) for event in rows], "next_cursor": next_cursor}


@blp.route("/audit-events.csv")
class AuditEventsCsv(MethodView):
    @blp.arguments(AuditFilterQuery, location="query", as_kwargs=True)
    @blp.response(200, content_type="text/csv",
                  description=f"Every matching event (at most {audit.EXPORT_LIMIT:,}), newest first, one a row")
    def get(self, **filters):
        """The matching audit events as CSV, with a header row (supervisors)."""
        supervisor = require_supervisor()
        filters = _filters(filters)
        asked = {"actor": filters["actor"], "ticket": filters["ticket"], "action": filters["action"],
                 "from": clock.isoformat(filters["since"]), "to": clock.isoformat(filters["until"])}
        audit.record("audit.exported", actor_id=supervisor.user_id, actor_role=supervisor.role,
                     actor_email=supervisor.email, details={key: value for key, value in asked.items() if value})
        response = Response(stream_with_context(_csv_lines(audit.matching(**filters))), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response


def _csv_lines(query):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(audit.CSV_COLUMNS)
    for count, row in enumerate(audit.export_rows(query), start=1):
        writer.writerow(row)
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
