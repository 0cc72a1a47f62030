"""Request and response schemas of the video API."""
from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import fields, validate

from services.video.models import OUTCOMES, STATUSES
from shared.openapi import comma_separated_pattern
from shared.pagination import cursor_field, limit_field

UTC = dt.UTC
# Spoken languages the interpreter covers; sessions are in English, so translation goes to English.
SPOKEN_LANGUAGES = ("ar", "de", "es", "fr", "hi", "id", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                    "uk", "vi", "zh-Hans", "zh-Hant")
TRANSLATION_TARGETS = ("en",)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def Instant(**kwargs) -> fields.AwareDateTime:  # noqa: N802 - a field factory, named like a field
    """An ISO 8601 instant; one without a zone is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class SlotIn(StrictSchema):
    start = Instant(required=True)
    end = Instant(required=True)


class ProposeSchema(StrictSchema):
    slots = fields.List(fields.Nested(SlotIn), required=True, validate=validate.Length(max=50))


class RescheduleSchema(StrictSchema):
    """Either new `slots` for the customer to choose from, or `booked_slot` to move the booking."""

    class Meta(StrictSchema.Meta):
        openapi = {"oneOf": [{"required": ["slots"], "properties": {"slots": {"type": "array"}}},
                             {"required": ["booked_slot"], "properties": {"booked_slot": {"type": "object"}}}]}

    slots = fields.List(fields.Nested(SlotIn), load_default=None, validate=validate.Length(max=50))
    booked_slot = fields.Nested(SlotIn, load_default=None)

    @ma.validates_schema
    def _one_of(self, data, **_):
        if (data.get("slots") is None) == (data.get("booked_slot") is None):
            raise ma.ValidationError("Give either slots or booked_slot.", "_schema")


class CancelSchema(StrictSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class OutcomeSchema(StrictSchema):
    result = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class BookingSchema(StrictSchema):
    slot_start = Instant(required=True)


class TranslationSchema(StrictSchema):
    """`translate_from` the customer's spoken language `to` English; `enabled: false` turns it off."""

    class Meta(StrictSchema.Meta):
        openapi = {"anyOf": [{"required": ["enabled"], "properties": {"enabled": {"enum": [False]}}},
                             {"required": ["translate_from"], "properties": {"translate_from": {"type": "string"}}}]}

    enabled = fields.Boolean(load_default=True)
    translate_from = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SPOKEN_LANGUAGES))
    translate_to = fields.String(load_default="en", validate=validate.OneOf(TRANSLATION_TARGETS))

    @ma.validates_schema
    def _from_needed(self, data, **_):
        if data["enabled"] and data.get("translate_from") is None:
            raise ma.ValidationError("Name the language you will speak.", "translate_from")


class CallListQuery(StrictSchema):
    status = fields.String(load_default=None, metadata={"pattern": comma_separated_pattern(STATUSES)})
    cursor = cursor_field(1)
    limit = limit_field()

    @ma.validates("status")
    def _check_status(self, value, **_):
        if value is not None and not all(part in STATUSES for part in value.split(",")):
            raise ma.ValidationError(f"Unknown status; use one or more of {', '.join(STATUSES)}.")


class CodeRequestSchema(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class SessionRequestSchema(CodeRequestSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\s*\d{6}\s*$", error="Six digits."))


class SlotOut(ma.Schema):
    start = fields.String()
    end = fields.String()
    available = fields.Boolean()


class TranslationOut(ma.Schema):
    enabled = fields.Boolean()
    translate_from = fields.String(allow_none=True)
    translate_to = fields.String(allow_none=True)


class ChecklistItemOut(ma.Schema):
    key = fields.String()
    text = fields.String()


class CallOut(ma.Schema):
    id = fields.Integer()
    ticket_number = fields.String()
    status = fields.String()
    slots = fields.List(fields.Nested(SlotOut))
    booked_slot = fields.Nested(SlotOut, allow_none=True)
    language = fields.String()
    translation = fields.Nested(TranslationOut)
    checklist = fields.List(fields.Nested(ChecklistItemOut))
    joinable = fields.Boolean()
    join_opens_at = fields.String(allow_none=True)
    join_closes_at = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class AgentCallOut(CallOut):
    requester = fields.Dict()
    agent_id = fields.Integer(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    booking_version = fields.Integer()


class CallEnvelopeOut(ma.Schema):
    call = fields.Nested(CallOut)


class AgentCallEnvelopeOut(ma.Schema):
    call = fields.Nested(AgentCallOut)


class CallPageOut(ma.Schema):
    items = fields.List(fields.Nested(CallOut))
    next_cursor = fields.String(allow_none=True)


class AgentCallPageOut(ma.Schema):
    items = fields.List(fields.Nested(AgentCallOut))
    next_cursor = fields.String(allow_none=True)


class JoinOut(ma.Schema):
    room_url = fields.String()
    room_token = fields.String()
    expires_at = fields.String()
    provider = fields.String()


class CodeRequestedOut(ma.Schema):
    message = fields.String()


class GuestSessionOut(ma.Schema):
    email = fields.String()
    # The gateway replaces `_guest_grant` with `guest_token` and `expires_in`.
    _guest_grant = fields.Dict(data_key="_guest_grant")
