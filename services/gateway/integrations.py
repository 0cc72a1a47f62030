"""The signed integration webhook: other systems of the exchange (the app backend,
the wallet, the trading engine) report app installs, deposits and buys.

    POST /api/v1/integrations/events
    X-Signature: sha256=<hex HMAC-SHA256>
    X-Signature-Timestamp: <unix seconds>   (optional)

Without the timestamp header the HMAC covers the exact body and the envelope's
`occurred_at` must lie between 30 days ago and 5 minutes ahead. With it, the HMAC
covers `"{timestamp}.{body}"` and the timestamp must be within 5 minutes of now
(`occurred_at` may then say when the thing really happened, however long ago).
The envelope goes on the bus through the gateway's outbox under its own id, so a
repeated id has one effect: the outbox's unique `event_id` holds one row.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from decimal import Decimal

import peewee
from flask import current_app, jsonify, request
from flask.views import MethodView

from services.gateway import config
from services.gateway.extensions import outbox
from services.gateway.models import OutboxMessage, db
from services.gateway.schemas import IntegrationEventAcceptedOut
from shared import clock, safe_input
from shared.errors import ApiError
from shared.events import EventType, InvalidEvent, validate_data
from shared.web import Blueprint, refused_input_error

log = logging.getLogger(__name__)

blp = Blueprint("integrations", __name__, url_prefix="/api/v1/integrations",
                description="Signed events from the exchange's other systems")

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
SIGNATURE_PREFIX = "sha256="
ALLOWED_TYPES = (EventType.USER_APP_INSTALLED, EventType.WALLET_DEPOSIT_COMPLETED, EventType.TRADE_BUY_COMPLETED)
TIMESTAMP_TOLERANCE = dt.timedelta(minutes=5)
MAX_EVENT_AGE = dt.timedelta(days=30)
MAX_BODY_BYTES = 64 * 1024
MAX_ACCOUNT_ID = 2**31 - 1  # account ids are 32-bit serials
MAX_USDT_VALUE = Decimal(10) ** 12


def webhook_secret() -> bytes:
    return current_app.config["INTEGRATION_WEBHOOK_SECRET"].encode()


def embedded_notice() -> str | None:
    """The line `make run` prints: the webhook's HMAC key when the embedded default made it."""
    return config.embedded_webhook_notice()


def sign(body: bytes, key: bytes, timestamp: str | None = None) -> str:
    """The `X-Signature` value for `body` (and `timestamp`, when the sender sends one)."""
    message = body if timestamp is None else timestamp.encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()


def invalid_signature() -> ApiError:
    return ApiError(401, "invalid_signature", "The X-Signature header is missing or does not match the body.")


def check_signature(body: bytes, key: bytes) -> str | None:
    """Verify the HMAC in constant time; returns the signed timestamp header, if any."""
    presented = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    if not presented.isascii() or (timestamp is not None and not timestamp.isascii()):
        raise invalid_signature()
    if not hmac.compare_digest(sign(body, key, timestamp), presented.strip().lower()):
        raise invalid_signature()
    return timestamp


def check_freshness(timestamp: str | None, occurred_at: dt.datetime) -> None:
    """Bound how old a signed request may be, so a captured one cannot be replayed for ever."""
    now = clock.now()
    if timestamp is not None:
        try:
            signed_at = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError, OSError):
            raise ApiError(401, "signature_expired", f"{TIMESTAMP_HEADER} must be Unix seconds.") from None
        if abs(now - signed_at) > TIMESTAMP_TOLERANCE:
            raise ApiError(401, "signature_expired",
                           f"{TIMESTAMP_HEADER} is more than 5 minutes away from the server's time.")
    elif occurred_at > now + TIMESTAMP_TOLERANCE or occurred_at < now - MAX_EVENT_AGE:
        raise ApiError(401, "signature_expired",
                       "occurred_at must be within the last 30 days and not more than 5 minutes ahead; "
                       f"send {TIMESTAMP_HEADER} to report an older event.")


def parse_envelope(body: bytes) -> tuple[str, str, dt.datetime, dict]:
    """`{id, type, occurred_at, data}` checked against the event catalogue; 400 otherwise."""
    try:
        raw = safe_input.loads(body)
    except safe_input.RefusedInput as exc:
        raise refused_input_error(exc) from None
    except ValueError:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(raw, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    problems: dict[str, list[str]] = {}
    try:
        event_id = str(uuid.UUID(str(raw.get("id"))))
    except ValueError:
        problems["id"] = ["Must be a UUID."]
    try:
        occurred_at = clock.parse_iso(str(raw.get("occurred_at")))
    except ValueError:
        problems["occurred_at"] = ["Must be an ISO 8601 timestamp."]
    if not isinstance(raw.get("data"), dict):
        problems["data"] = ["Must be an object."]
    if problems:
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.", {"fields": problems})
    event_type = raw.get("type")
    if event_type not in ALLOWED_TYPES:
        raise ApiError(400, "unsupported_event_type", "This event type is not accepted here.",
                       {"fields": {"type": [f"Use one of {', '.join(ALLOWED_TYPES)}."]}})
    try:
        data = validate_data(event_type, raw["data"])
    except InvalidEvent as exc:
        raise ApiError(400, "validation_error", "The event's data does not match its type.",
                       {"fields": {"data": _messages(exc)}}) from None
    if not 0 < data["user_id"] <= MAX_ACCOUNT_ID:
        raise ApiError(400, "validation_error", "The event's data does not match its type.",
                       {"fields": {"data": {"user_id": ["Not an account id."]}}})
    if "usdt_value" in data and Decimal(data["usdt_value"]) > MAX_USDT_VALUE:
        raise ApiError(400, "validation_error", "The event's data does not match its type.",
                       {"fields": {"data": {"usdt_value": ["Larger than any real transaction."]}}})
    return event_id, event_type, occurred_at, data


def _messages(exc: InvalidEvent):
    try:
        return json.loads(str(exc))
    except ValueError:
        return [str(exc)]


@blp.route("/events")
class IntegrationEvents(MethodView):
    @blp.doc(security=[], parameters=[
        {"in": "header", "name": SIGNATURE_HEADER, "required": True,
         "schema": {"type": "string", "pattern": "^sha256=[0-9a-fA-F]{64}$"},
         "description": "sha256=<hex HMAC-SHA256 of the exact body, or of '{timestamp}.{body}'>"},
        {"in": "header", "name": TIMESTAMP_HEADER, "required": False, "schema": {"type": "string"},
         "description": "Unix seconds; when sent, it is signed with the body and must be within 5 minutes"}],
        requestBody={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["id", "type", "occurred_at", "data"], "properties": {
                "id": {"type": "string", "format": "uuid"}, "type": {"type": "string", "enum": list(ALLOWED_TYPES)},
                "occurred_at": {"type": "string", "format": "date-time"},
                "data": {"type": "object", "description": "The type's data in the event catalogue (shared.events)"}}}}}})
    @blp.response(202, IntegrationEventAcceptedOut,
                  description="Accepted; a repeated id is accepted again with no second effect")
    @blp.alt_response(401, response="UNAUTHORIZED")
    def post(self):
        """Receive one signed event (app installed, deposit or buy completed) for the bus."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", "An event is at most 64 KiB.")
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", "An event is at most 64 KiB.")
        timestamp = check_signature(body, webhook_secret())
        event_id, event_type, occurred_at, data = parse_envelope(body)
        check_freshness(timestamp, occurred_at)
        duplicate = False
        try:
            with db.atomic():
                if OutboxMessage.select().where(OutboxMessage.event_id == event_id).exists():
                    duplicate = True
                else:
                    outbox().add(event_type, data, event_id=event_id, occurred_at=occurred_at)
        except peewee.IntegrityError:
            duplicate = True  # the same id, sent twice at once: the other request's row stands
        log.info("integration event accepted", extra={"event_id": event_id, "event_type": event_type,
                                                      "duplicate": duplicate})
        response = jsonify({"id": event_id, "type": event_type, "duplicate": duplicate})
        response.status_code = 202
        return response
