"""Request and response schemas of the notifications API."""
from __future__ import annotations

import zoneinfo

import marshmallow as ma
from marshmallow import fields, validate

from services.notifications.models import AGENT_KINDS, ALL_KINDS, KINDS
from shared.pagination import cursor_field, limit_field

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class StrictBoolean(fields.Boolean):
    """JSON true or false; not "yes", 1 or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is not bool:
            raise self.make_error("invalid")
        return value


def strict_boolean(**kwargs) -> fields.Boolean:
    return StrictBoolean(**kwargs)


class QuerySchema(ma.Schema):
    @ma.pre_load
    def _drop_empty(self, data, **_):
        # `?unread=` means "not filtered", as a form would send it.
        return {key: value for key, value in data.items() if value != ""}


class NotificationListQuery(QuerySchema):
    unread = fields.Boolean(load_default=None, allow_none=True)
    cursor = cursor_field(1)
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100),
                           metadata={"description": "Items per page; NOTIFICATIONS_PAGE_SIZE (20) when left out."})


class NotificationOut(ma.Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(ALL_KINDS)})
    title = fields.String()
    body = fields.String()
    link = fields.String()
    created_at = fields.String()
    read_at = fields.String(allow_none=True)


class NotificationPageOut(ma.Schema):
    items = fields.List(fields.Nested(NotificationOut))
    unread_count = fields.Integer()
    next_cursor = fields.String(allow_none=True)


class NotificationReadOut(ma.Schema):
    notification = fields.Nested(NotificationOut)
    unread_count = fields.Integer()


class ReadAllOut(ma.Schema):
    updated = fields.Integer()
    unread_count = fields.Integer()


def _kinds_schema(name: str, kinds: tuple[str, ...], *, required: bool) -> type[ma.Schema]:
    return type(name, (StrictSchema,), {kind: strict_boolean(required=required) for kind in kinds})


KindsIn = _kinds_schema("KindsIn", KINDS, required=False)
AgentKindsIn = _kinds_schema("AgentKindsIn", AGENT_KINDS, required=False)
# A customer's kinds, or an agent's (assigned_tickets, satisfaction, sla_breaches).
KindsOut = _kinds_schema("KindsOut", ALL_KINDS, required=False)


class QuietHours(StrictSchema):
    """A daily window without push and without email, in the person's time zone (security emails still go)."""

    start = fields.String(required=True, validate=validate.Regexp(HHMM, error="Use HH:MM, e.g. 22:00."),
                          metadata={"example": "22:00"})
    end = fields.String(required=True, validate=validate.Regexp(HHMM, error="Use HH:MM, e.g. 07:00."),
                        metadata={"example": "07:00"})
    timezone = fields.String(required=True, validate=validate.OneOf(sorted(zoneinfo.available_timezones()),
                                                                    error="Use an IANA time zone, e.g. Europe/Madrid."),
                             metadata={"example": "Europe/Madrid"})

    @ma.validates_schema
    def _not_empty(self, data, **_):
        if data.get("start") == data.get("end"):
            raise ma.ValidationError("The quiet hours must end at another time than they start.", "end")


def quiet_hours_field() -> fields.Nested:
    return fields.Nested(QuietHours, allow_none=True, metadata={"description": "null: none"})


class PreferencesIn(StrictSchema):
    """Any subset: what is left out stays as it was. A customer's kinds: ticket_updates, video_calls, rewards."""

    push = fields.Nested(KindsIn, load_default=dict)
    email = fields.Nested(KindsIn, load_default=dict)
    quiet_hours = quiet_hours_field()
    email_digest = strict_boolean(metadata={"description": "several ticket updates within 5 minutes as one email"})


class AgentPreferencesIn(StrictSchema):
    """An agent's kinds: assigned_tickets (customers' replies, escalations, tickets given to them), satisfaction
    (ratings), sla_breaches. Email is off until turned on."""

    push = fields.Nested(AgentKindsIn, load_default=dict)
    email = fields.Nested(AgentKindsIn, load_default=dict)
    quiet_hours = quiet_hours_field()
    email_digest = strict_boolean(metadata={"description": "several ticket updates within 5 minutes as one email"})


class PreferencesOut(ma.Schema):
    """The caller's kinds: a customer's, or an agent's."""

    push = fields.Nested(KindsOut)
    email = fields.Nested(KindsOut)
    quiet_hours = fields.Nested(QuietHours, allow_none=True)
    email_digest = fields.Boolean()


class VapidKeyOut(ma.Schema):
    public_key = fields.String(metadata={"description": "The applicationServerKey for PushManager.subscribe()"})


class SubscriptionKeys(StrictSchema):
    # push.check_keys: base64url of an uncompressed P-256 point (65 bytes, the first 0x04) and of 16 bytes
    p256dh = fields.String(required=True, validate=validate.Length(min=80, max=128),
                           metadata={"pattern": "^B[A-P][A-Za-z0-9_-]{85}=?$"})
    auth = fields.String(required=True, validate=validate.Length(min=16, max=64),
                         metadata={"pattern": "^[A-Za-z0-9_-]{22}(==)?$"})


class PushSubscriptionIn(ma.Schema):
    class Meta:
        # A browser's PushSubscription.toJSON() also carries expirationTime.
        unknown = ma.EXCLUDE

    endpoint = fields.String(required=True, validate=validate.Length(min=10, max=1024), metadata={
        "pattern": r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$",
        "description": "The push service's https URL (push_safety: a public host, not an address of ours)"})
    keys = fields.Nested(SubscriptionKeys, required=True)


class PushSubscriptionOut(ma.Schema):
    id = fields.Integer()
    endpoint = fields.String()
    created_at = fields.String()


class PushSubscriptionCreatedOut(ma.Schema):
    subscription = fields.Nested(PushSubscriptionOut)


class PushSubscriptionListQuery(QuerySchema):
    cursor = cursor_field(1)
    limit = limit_field()


class PushSubscriptionListOut(ma.Schema):
    items = fields.List(fields.Nested(PushSubscriptionOut))
    next_cursor = fields.String(allow_none=True)
