"""The notifications API: the inbox, preferences, Web Push subscriptions, the live stream."""
from __future__ import annotations

import queue
import time

from flask import Response, current_app, request
from flask.views import MethodView

from services.notifications import extensions, preferences, schemas
from services.notifications.attention import mark_present
from services.notifications.models import AGENT_KINDS, Notification, PushSubscription, db
from services.notifications.push_safety import EndpointRefused, allowed_hosts, check_endpoint
from services.notifications.stream import hub, present, sse
from services.notifications.webpush import check_keys
from shared import clock
from shared.errors import ApiError, not_found
from shared.pagination import keyset_page
from shared.web import Blueprint, current_caller, load_body

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="The inbox, its live stream, preferences and Web Push subscriptions")


def account_id() -> int:
    """The logged-in caller's user id: notifications belong to accounts."""
    caller = current_caller()
    if caller.kind == "user" and caller.user_id is not None:
        return int(caller.user_id)
    if caller.is_guest:
        raise ApiError(403, "forbidden", "Notifications belong to accounts; log in to see yours.")
    raise ApiError(401, "not_authenticated", "Log in to see your notifications.")


def unread_count(user_id: int) -> int:
    return (Notification.select().where((Notification.user_id == user_id) & Notification.read_at.is_null())
            .count())


def own_notification(user_id: int, notification_id: int) -> Notification:
    item = Notification.get_or_none((Notification.id == notification_id) & (Notification.user_id == user_id))
    if item is None:
        raise not_found("notification")
    return item


@blp.route("/notifications")
class Inbox(MethodView):
    @blp.arguments(schemas.NotificationListQuery, location="query")
    @blp.response(200, schemas.NotificationPageOut)
    def get(self, args: dict):
        """The caller's notifications, newest first, with the unread count."""
        user_id = account_id()
        query = Notification.select().where(Notification.user_id == user_id)
        if args["unread"] is True:
            query = query.where(Notification.read_at.is_null())
        elif args["unread"] is False:
            query = query.where(Notification.read_at.is_null(False))
        rows, next_cursor = keyset_page(query, [Notification.id], args["limit"] or current_app.config["PAGE_SIZE"],
                                        args["cursor"])
        return {"items": [present(item) for item in rows], "unread_count": unread_count(user_id),
                "next_cursor": next_cursor}


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(200, schemas.NotificationReadOut)
def mark_read(notification_id: int):
    """Mark one notification read (again: no change)."""
    user_id = account_id()
    with db.atomic():
        item = own_notification(user_id, notification_id)
        if item.read_at is None:
            item.read_at = clock.now()
            (Notification.update(read_at=item.read_at)
             .where((Notification.id == item.id) & Notification.read_at.is_null()).execute())
    return {"notification": present(item), "unread_count": unread_count(user_id)}


@blp.route("/notifications/read-all", methods=["POST"])
@blp.response(200, schemas.ReadAllOut)
def mark_all_read():
    """Mark every notification of the caller read."""
    user_id = account_id()
    updated = (Notification.update(read_at=clock.now())
               .where((Notification.user_id == user_id) & Notification.read_at.is_null()).execute())
    return {"updated": updated, "unread_count": 0}


def caller_kinds() -> tuple[str, ...]:
    """The kinds of notification the caller gets: an agent's, or a customer's."""
    return preferences.kinds_for(current_caller().role)


@blp.route("/notification-preferences")
class Preferences(MethodView):
    @blp.response(200, schemas.PreferencesOut)
    def get(self):
        """Which kinds arrive by push (inbox, live, Web Push) and by email. Security emails always do."""
        return preferences.preferences_of(account_id(), caller_kinds())

    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.PreferencesIn}}})
    @blp.response(200, schemas.PreferencesOut)
    def put(self):
        """Change any subset of the preferences; returns them all. Agents send their kinds (AgentPreferencesIn)."""
        user_id, kinds = account_id(), caller_kinds()
        schema = schemas.AgentPreferencesIn() if kinds == AGENT_KINDS else schemas.PreferencesIn()
        changes, _ = load_body(schema, allow_multipart=False)
        with db.atomic():
            return preferences.update_preferences(user_id, changes, kinds)


@blp.route("/push/vapid-public-key")
@blp.response(200, schemas.VapidKeyOut)
def vapid_public_key():
    """The key a browser passes to PushManager.subscribe() as applicationServerKey."""
    account_id()
    return {"public_key": extensions.vapid_keys().public_key}


def subscription_dict(subscription: PushSubscription) -> dict:
    return {"id": subscription.id, "endpoint": subscription.endpoint,
            "created_at": clock.isoformat(subscription.created_at)}


@blp.route("/push-subscriptions")
class PushSubscriptions(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": schemas.PushSubscriptionIn}}})
    @blp.response(201, schemas.PushSubscriptionCreatedOut)
    @blp.alt_response(200, schema=schemas.PushSubscriptionCreatedOut, description="The endpoint again: updated")
    def post(self):
        """Subscribe this browser (its PushSubscription as JSON); the same endpoint again updates it."""
        user_id = account_id()
        body, _ = load_body(schemas.PushSubscriptionIn(), allow_multipart=False)
        keys = body["keys"]
        try:
            endpoint = check_endpoint(body["endpoint"], allowed_hosts(current_app.config))
            check_keys(keys["p256dh"], keys["auth"])
        except (EndpointRefused, ValueError) as exc:
            field = "endpoint" if isinstance(exc, EndpointRefused) else "keys"
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                           {"fields": {field: [str(exc)]}}) from exc
        with db.atomic():
            existing = PushSubscription.get_or_none(PushSubscription.endpoint == endpoint)
            if existing is not None:
                # The endpoint names the browser: whoever subscribes it now is who it belongs to.
                existing.user_id, existing.p256dh, existing.auth = user_id, keys["p256dh"], keys["auth"]
                existing.save()
                return {"subscription": subscription_dict(existing)}, 200
            subscription = PushSubscription.create(user_id=user_id, endpoint=endpoint, p256dh=keys["p256dh"],
                                                   auth=keys["auth"], created_at=clock.now())
            _keep_newest(user_id, current_app.config["MAX_PUSH_SUBSCRIPTIONS"])
        return {"subscription": subscription_dict(subscription)}

    @blp.arguments(schemas.PushSubscriptionListQuery, location="query")
    @blp.response(200, schemas.PushSubscriptionListOut)
    def get(self, args: dict):
        """The caller's subscribed browsers, oldest first."""
        query = PushSubscription.select().where(PushSubscription.user_id == account_id())
        rows, next_cursor = keyset_page(query, [PushSubscription.id], args["limit"], args["cursor"], descending=False)
        return {"items": [subscription_dict(row) for row in rows], "next_cursor": next_cursor}


def _keep_newest(user_id: int, limit: int) -> None:
    stale = [row.id for row in PushSubscription.select(PushSubscription.id)
             .where(PushSubscription.user_id == user_id).order_by(PushSubscription.id.desc()).offset(limit)]
    if stale:
        PushSubscription.delete().where(PushSubscription.id.in_(stale)).execute()


@blp.route("/push-subscriptions/<int:subscription_id>", methods=["DELETE"])
@blp.response(204)
def unsubscribe(subscription_id: int):
    """Stop pushing to one browser."""
    deleted = (PushSubscription.delete().where((PushSubscription.id == subscription_id)
                                               & (PushSubscription.user_id == account_id())).execute())
    if not deleted:
        raise not_found("push subscription")
    return None


@blp.route("/notifications/stream")
@blp.doc(responses={"200": {"description": "One `notification` event per new inbox item; a comment "
                                           "heartbeat every 15 s; `Last-Event-ID` replays what was missed.",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
def notification_stream():
    """A live `text/event-stream` of the caller's new notifications."""
    user_id = account_id()
    listener = extensions.live_listener()
    if listener is not None and not listener.ensure_started():
        raise ApiError(503, "service_unavailable", "The live stream is unavailable; please try again shortly.")
    settings = current_app.config
    inbox = hub.subscribe(user_id)
    try:
        backlog = _missed(user_id, request.headers.get("Last-Event-ID", ""))
        mark_present(user_id)  # its emails wait to be read here (attention.py)
    except Exception:
        hub.unsubscribe(user_id, inbox)
        raise
    heartbeat, lifetime = settings["STREAM_HEARTBEAT_SECONDS"], settings["STREAM_MAX_SECONDS"]

    def events():
        sent = {item["id"] for item in backlog}
        ends = time.monotonic() + lifetime
        marked = time.monotonic()
        try:
            yield "retry: 3000\n: connected\n\n"
            for item in backlog:
                yield sse(item)
            while time.monotonic() < ends:
                if time.monotonic() - marked >= heartbeat:
                    marked = _still_present(user_id)
                try:
                    item = inbox.get(timeout=heartbeat)
                except queue.Empty:
                    yield ": heartbeat\n\n"
                    continue
                if item["id"] not in sent:
                    yield sse(item)
        finally:
            hub.unsubscribe(user_id, inbox)

    return Response(events(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _still_present(user_id: int) -> float:
    """Say again that the stream is open (best effort: a failure only lets an email go without waiting)."""
    try:
        with db.connection_context():
            mark_present(user_id)
    except Exception:  # noqa: BLE001 - the stream goes on
        pass
    return time.monotonic()


def _missed(user_id: int, last_event_id: str) -> list[dict]:
    """What a reconnecting page missed since `Last-Event-ID` (at most 100 items)."""
    if not last_event_id.isdigit():
        return []
    rows = (Notification.select().where((Notification.user_id == user_id)
                                        & (Notification.id > int(last_event_id)))
            .order_by(Notification.id).limit(100))
    return [present(row) for row in rows]
