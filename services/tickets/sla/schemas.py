"""Request and response schemas of service levels, satisfaction and reports."""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.models import CATEGORIES
from services.tickets.core.schemas import DEPARTMENT, StrictSchema
from services.tickets.sla.policies import TIERS
from shared import clock

YEAR = 366 * 86400
SECONDS = validate.Range(min=1, max=YEAR)
CALENDAR_NAME = validate.Regexp(r"^[a-z0-9][a-z0-9_\-]{0,49}$", error="Not a calendar name (a-z, 0-9, _ and -).")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PolicyIn(StrictSchema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    first_response_s = fields.Integer(required=True, strict=True, validate=SECONDS)
    next_response_s = fields.Integer(required=True, strict=True, validate=SECONDS)
    resolution_s = fields.Integer(required=True, strict=True, validate=SECONDS)
    calendar = fields.String(load_default="always", validate=CALENDAR_NAME)


class PoliciesIn(StrictSchema):
    items = fields.List(fields.Nested(PolicyIn), required=True, validate=validate.Length(min=1, max=100))


class PolicyOut(ma.Schema):
    category = fields.String()
    tier = fields.String()
    first_response_s = fields.Integer()
    next_response_s = fields.Integer()
    resolution_s = fields.Integer()
    calendar = fields.String()


class PoliciesOut(ma.Schema):
    items = fields.List(fields.Nested(PolicyOut))


class CalendarIn(StrictSchema):
    name = fields.String(required=True, validate=CALENDAR_NAME)
    timezone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    hours = fields.Dict(keys=fields.String(), values=fields.List(fields.List(fields.String(), validate=validate.Length(equal=2)),
                                                                 validate=validate.Length(max=12)),
                        load_default=dict, metadata={"example": {"mon": [["09:00", "18:00"]]}})
    holidays = fields.List(fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="Not a date (YYYY-MM-DD).")),
                           load_default=list, validate=validate.Length(max=400))


class CalendarsIn(StrictSchema):
    items = fields.List(fields.Nested(CalendarIn), required=True, validate=validate.Length(min=1, max=50))


class CalendarOut(ma.Schema):
    name = fields.String()
    timezone = fields.String()
    hours = fields.Dict()
    holidays = fields.List(fields.String())


class CalendarsOut(ma.Schema):
    items = fields.List(fields.Nested(CalendarOut))


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


class PeriodQuery(ma.Schema):
    start = Instant(data_key="from", load_default=None, metadata={"description": "ISO 8601 or a date, inclusive; "
                                                                   "30 days before `to` by default"})
    end = Instant(data_key="to", load_default=None, metadata={"description": "ISO 8601 or a date, exclusive; now by default"})

    @ma.validates_schema
    def _check_period(self, data, **_):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ma.ValidationError("`to` must be after `from`.", "to")


class SummaryQuery(PeriodQuery):
    department = fields.String(load_default=None, validate=DEPARTMENT)
    tier = fields.String(load_default=None, validate=validate.OneOf(TIERS))


class TimesOut(ma.Schema):
    median = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)


class SummaryOut(ma.Schema):
    period_from = fields.String(data_key="from", attribute="from")
    period_to = fields.String(data_key="to", attribute="to")
    department = fields.String(allow_none=True)
    tier = fields.String(allow_none=True)
    created = fields.Integer()
    resolved = fields.Integer()
    first_response_s = fields.Nested(TimesOut)
    resolution_s = fields.Nested(TimesOut)
    sla_attainment = fields.Float(allow_none=True)
    sla = fields.Dict()
    satisfaction = fields.Dict()
    backlog = fields.Dict()


class RatingIn(StrictSchema):
    rating = fields.String(required=True, validate=validate.OneOf(["good", "bad"]))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class SatisfactionOut(ma.Schema):
    rating = fields.String()
    comment = fields.String(allow_none=True)
    rated_at = fields.String()
    changeable_until = fields.String(allow_none=True)
    locked = fields.Boolean()


class RatedOut(ma.Schema):
    ticket_number = fields.String()
    satisfaction = fields.Nested(SatisfactionOut)
