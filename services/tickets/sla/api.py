"""Service levels, satisfaction and reports: the supervisors' policies and calendars, the reports,
and the requester's rating of a resolved ticket."""
from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from services.tickets.core.access import customer_ticket, require_role
from services.tickets.extensions import outbox, window_days
from services.tickets.models import db
from services.tickets.sla import policies, reports, satisfaction, schemas
from shared import clock
from shared.web import Blueprint, current_caller

admin_blp = Blueprint("sla_admin", __name__, url_prefix="/api/v1/admin", description="Service levels (supervisors)")
reports_blp = Blueprint("sla_reports", __name__, url_prefix="/api/v1/agent/reports",
                        description="The supervisors' reports")
rating_blp = Blueprint("satisfaction", __name__, url_prefix="/api/v1/tickets", description="Satisfaction ratings")
SUPERVISOR_ROLE = "supervisor"
DEFAULT_PERIOD = dt.timedelta(days=30)


def require_supervisor() -> None:
    require_role(SUPERVISOR_ROLE, "This is for supervisors.")


@admin_blp.before_request
def _admin_supervisors_only():
    require_supervisor()


@reports_blp.before_request
def _reports_supervisors_only():
    require_supervisor()


@admin_blp.route("/sla-policies")
class SlaPolicies(MethodView):
    @admin_blp.response(200, schemas.PoliciesOut)
    def get(self):
        """Every category and tier's targets in seconds and the calendar they run on (defaults included)."""
        return {"items": [policy.to_dict() for policy in policies.all_policies()]}

    @admin_blp.arguments(schemas.PoliciesIn)
    @admin_blp.response(200, schemas.PoliciesOut)
    def put(self, body):
        """Set the targets of the listed categories and tiers (the others keep theirs). They apply to the
        clocks that start afterwards."""
        with db.atomic():
            return {"items": [policy.to_dict() for policy in policies.replace_policies(body["items"])]}


@admin_blp.route("/calendars")
class Calendars(MethodView):
    @admin_blp.response(200, schemas.CalendarsOut)
    def get(self):
        """The calendars: `always` (24/7, the default) and the supervisors' office hours and holidays."""
        return {"items": [calendar.to_dict() for calendar in policies.all_calendars()]}

    @admin_blp.arguments(schemas.CalendarsIn)
    @admin_blp.response(200, schemas.CalendarsOut)
    def put(self, body):
        """Define or change the listed calendars by name: `timezone` (IANA), `hours` per weekday
        (`mon`..`sun`, `[["09:00", "18:00"]]`, "24:00" may end a day), `holidays` (local dates)."""
        with db.atomic():
            return {"items": [calendar.to_dict() for calendar in policies.replace_calendars(body["items"])]}


def _period(args: dict) -> tuple[dt.datetime, dt.datetime]:
    end = args["end"] or clock.now()
    return args["start"] or end - DEFAULT_PERIOD, end


@reports_blp.route("/summary")
class Summary(MethodView):
    @reports_blp.arguments(schemas.SummaryQuery, location="query", unknown=ma.RAISE)
    @reports_blp.response(200, schemas.SummaryOut)
    def get(self, args):
        """Tickets created and resolved, first-response and resolution times (calendar seconds), SLA
        attainment, satisfaction and the backlog by age, for a period, department and tier."""
        start, end = _period(args)
        return reports.summary(start, end, args["department"], args["tier"])


@reports_blp.route("/tickets.csv")
class TicketsCsv(MethodView):
    @reports_blp.arguments(schemas.SummaryQuery, location="query", unknown=ma.RAISE)
    @reports_blp.response(200, content_type="text/csv",
                          description=f"One row per ticket created in the period (at most {reports.EXPORT_LIMIT:,})")
    def get(self, args):
        """The period's tickets (of a department and tier, when given: the summary's filters) with their
        times, SLA results and rating, as CSV with a header row."""
        start, end = _period(args)
        response = Response(reports.csv_text(start, end, args["department"], args["tier"]), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="tickets.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response


@rating_blp.route("/<string:number>/satisfaction")
class Rating(MethodView):
    @rating_blp.arguments(schemas.RatingIn)
    @rating_blp.response(201, schemas.RatedOut)
    @rating_blp.alt_response(200, schema=schemas.RatedOut, description="The rating changed")
    def post(self, body, number):
        """Rate the resolution `good` or `bad` (the requester or its guest): 201 the first time, 200 when
        changed within 7 days of the resolution, then 409 `rating_locked`; 409 `not_resolved` before."""
        caller = current_caller()
        with db.atomic():
            ticket = customer_ticket(caller, number)
            rating, first = satisfaction.rate(outbox(), ticket, body["rating"], body["comment"], window_days())
            data = {"ticket_number": ticket.number, "satisfaction": satisfaction.satisfaction_dict(ticket, rating)}
        return data, 201 if first else 200
