"""Web Push's channel (the protocol itself, keys and sender: webpush.py, chosen in senders.py).

A push announces an inbox item. The inbox consumer, in the transaction that creates
the items, queues the events whose items belong to a user with a subscribed browser,
with those notices, on the push queue (fanout.py: confirmed by the broker before the
commit: a crash after the commit loses none, one before it queues them again and the
delivery records keep that to one push per browser). The push channel then sends each notice to every
browser the user subscribed, encrypted for that subscription (aes128gcm) and signed
with the service's VAPID key; a subscription the push service says is gone (404/410)
is removed, and so is one whose sends keep failing (PUSH_MAX_FAILURES in a row) or whose
endpoint is not a public push service (push_safety.py: checked when subscribing and again,
with the address pinned, when sending). Events for users without a browser never reach the
push queue.
"""
from __future__ import annotations

import json
import logging

from services.notifications import preferences, texts
from services.notifications.fanout import carried
from services.notifications.handlers import contact_of
from services.notifications.models import Delivery, Notification, PushSubscription, db
from services.notifications.notices import Notice, choose_locale
from services.notifications.quiet_hours import hold_if_quiet
from services.notifications.recipients import notices_for
from services.notifications.senders import PushSender, make_push_sender
from services.notifications.webpush import PushFailed, SubscriptionGone, VapidKeys, load_vapid
from shared import clock, metrics
from shared.batching import Job
from shared.bulk import select_in
from shared.events import Envelope

log = logging.getLogger(__name__)


class PushChannel:
    """Each notice of an event to every browser of its user, through the `PushSender` PUSH_BACKEND names."""

    def __init__(self, settings: dict, keys: VapidKeys | None = None, sender: PushSender | None = None) -> None:
        self.settings = settings
        self.public_url = settings["PUBLIC_URL"].rstrip("/")
        self.max_failures = max(1, int(settings.get("PUSH_MAX_FAILURES") or 5))
        self._keys, self._sender = keys, sender

    @property
    def sender(self) -> PushSender:
        """The PUSH_BACKEND's sender, made at the first push: until a user subscribes a browser the worker
        holds no VAPID key, py_vapid or cryptography (issue 23; the web app loads and checks the same key
        when it starts)."""
        if self._sender is None:
            self._sender = make_push_sender(self.settings, self._keys or load_vapid(self.settings))
        return self._sender

    def deliver_many(self, jobs: list[Job]) -> list:
        """Each push job's notices (as the fan-out composed them: fanout.py) to the users that still have a
        subscribed browser: one query finds them for the batch."""
        notices = [[notice for notice in carried(job) if notice.for_inbox] for job in jobs]
        users = {notice.audience.user_id for told in notices for notice in told}
        subscribed = {row[0] for row in select_in(PushSubscription, ("user_id",), "user_id", users)}
        outcomes: list = []
        for job, told in zip(jobs, notices, strict=True):
            try:
                outcomes.append(self._deliver_all(job.envelope,
                                                  [n for n in told if n.audience.user_id in subscribed]))
            except Exception as exc:  # noqa: BLE001 - this event is retried; the others go on
                outcomes.append(exc)
        return outcomes

    def deliver(self, envelope: Envelope) -> int:
        """Push the event's notices to every subscribed browser that has not had them; returns how many got one."""
        return self._deliver_all(envelope, [notice for notice in notices_for(envelope) if notice.for_inbox])

    def _deliver_all(self, envelope: Envelope, notices: list[Notice]) -> int:
        """Every notice's pushes; one that failed fails the event after the others went (they are not sent twice)."""
        sent, failures = 0, []
        for notice in notices:
            try:
                sent += self.deliver_notice(envelope, notice)
            except Exception as exc:  # noqa: BLE001 - retried for this one
                failures.append(exc)
        if failures:
            raise failures[0]
        return sent

    def deliver_notice(self, envelope: Envelope, notice: Notice, *, released: bool = False) -> int:
        """Push the notice to every browser of its user that has not had it, or hold it for the person's quiet
        hours (`released`: they are over); returns how many got it."""
        user_id = notice.audience.user_id
        subscriptions = list(PushSubscription.select().where(PushSubscription.user_id == user_id)
                             .order_by(PushSubscription.id))
        if not subscriptions or not preferences.allows(user_id, "push", notice.kind):
            return 0
        if not released and hold_if_quiet(envelope, notice, "push"):
            return 0
        done = {row.recipient for row in Delivery.select(Delivery.recipient).where(
            (Delivery.event_id == envelope.id) & (Delivery.channel == "push"))}
        contact = contact_of(user_id)
        words = texts.text(notice.topic, choose_locale(contact.locale if contact else None, notice.audience.locale),
                           notice.params)
        item = Notification.get_or_none((Notification.event_id == envelope.id) & (Notification.user_id == user_id))
        payload = json.dumps({"title": words.title, "body": words.body, "link": self.public_url + notice.page,
                              "kind": notice.kind, "tag": envelope.id,
                              "notification_id": item.id if item else None})
        sent, failures = 0, []
        for subscription in subscriptions:
            key = f"subscription:{subscription.id}"
            if key in done:
                continue
            try:
                self.sender.send(subscription, payload)
            except SubscriptionGone as exc:
                log.info("push subscription removed", extra={"subscription_id": subscription.id, "reason": str(exc)})
                subscription.delete_instance()
                continue
            except PushFailed as exc:
                metrics.count_notification("push", ok=False)
                if not self.count_failure(subscription, exc):
                    failures.append(exc)
                continue
            with db.atomic():
                Delivery.create(event_id=envelope.id, channel="push", recipient=key, topic=notice.topic,
                                sent_at=clock.now())
                (PushSubscription.update(last_sent_at=clock.now(), failures=0)
                 .where(PushSubscription.id == subscription.id).execute())
            sent += 1
            metrics.count_notification("push", ok=True)
        if failures:
            # The browsers that got it are recorded; a retry sends to the others only.
            raise failures[0]
        return sent

    def count_failure(self, subscription: PushSubscription, failure: PushFailed) -> bool:
        """One more failed send in a row; at PUSH_MAX_FAILURES the subscription is removed (True) and the
        event is not retried for it."""
        (PushSubscription.update(failures=PushSubscription.failures + 1)
         .where(PushSubscription.id == subscription.id).execute())
        removed = (PushSubscription.delete().where((PushSubscription.id == subscription.id)
                                                   & (PushSubscription.failures >= self.max_failures)).execute())
        if removed:
            log.warning("push subscription removed after failed sends",
                        extra={"subscription_id": subscription.id, "failures": self.max_failures,
                               "error": str(failure)})
        return bool(removed)
