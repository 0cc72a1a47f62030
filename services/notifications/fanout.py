"""The fan-out: each event's notices composed once (`recipients.notices_for`), by the inbox consumer, and
carried to the channels that deliver them apart.

The inbox consumer is the first stage: bound to every event that tells someone something, it writes the inbox items
(handlers.py) and, inside the same transaction, queues one job per event for the email channel (every notice whose
person takes it by email, as their preferences were when the event came: `Notice.by_email`) and one for the push
channel (the notices of users with a subscribed browser and a new inbox item). A job is the event as it came with
its composed notices (shared/batching.py's `Job`), a message per chunk of jobs (a publish costs as much as handling
an event), so each channel stays a worker of its own (NOTIFICATIONS_CHANNELS, a Deployment each) and none composes
again. The batch commits and announces its items without waiting for the broker's confirms of its jobs (awaited
once per batch before the ack: the items reach the page a round trip sooner); an event that comes again after a
crash or a refusal in between finds itself handled and queues its jobs again (`handlers.replay`), and the delivery
records (unique per event, channel and recipient; the Message-ID derived from event and recipient) keep that to one
email per person and one push per browser (docs/notifications.md).
"""
from __future__ import annotations

import dataclasses

from services.notifications.models import PushSubscription
from services.notifications.notices import Notice
from services.notifications.recipients import notices_for
from shared.batching import Job, jobs_body
from shared.bulk import select_in
from shared.bus import Confirming, PooledPublisher
from shared.events import Envelope


@dataclasses.dataclass(frozen=True)
class Fanout:
    """What the inbox consumer made of one event: its notices, and the inbox items among them."""

    envelope: Envelope
    notices: list[Notice]
    items: list  # as the live stream announces them (handlers.add_inbox_items)


def attached(notices: list[Notice]) -> dict:
    """What a job carries besides its event."""
    return {"notices": [notice.to_dict() for notice in notices]}


def carried(job: Job) -> list[Notice]:
    """The job's notices as the fan-out composed them; a bare event (queued before jobs carried notices, or
    handed over by a test) is composed here."""
    if isinstance(job.attached, dict) and "notices" in job.attached:
        return [Notice.from_dict(raw) for raw in job.attached["notices"]]
    return notices_for(job.envelope)


class ChannelJobs:
    """The inbox consumer's `before_commit`: the email and push jobs of a batch, in one publish through the shared
    pooled publisher, its confirms left to the consumer (a failure to publish rolls the batch back and its events
    come again; confirms that do not come, after the commit, make them come again too)."""

    def __init__(self, broker_url: str, email_queue: str, push_queue: str, chunk: int = 50) -> None:
        self.email_queue = email_queue
        self.push_queue = push_queue
        self.chunk = max(1, chunk)  # jobs per message: as many as a channel's consumer delivers at once
        self.publisher = PooledPublisher(broker_url, confirm=True)

    def enqueue(self, fanouts: list[Fanout], bodies: dict) -> Confirming | None:
        with_items = {item.user_id for fanout in fanouts for item in fanout.items}
        subscribed = {row[0] for row in select_in(PushSubscription, ("user_id",), "user_id", with_items)}
        email, push = [], []
        for fanout in fanouts:
            body = bodies[fanout.envelope.id]
            emailed = [notice for notice in fanout.notices if notice.by_email is not False]
            if emailed:
                email.append((body, attached(emailed)))
            users = {item.user_id for item in fanout.items} & subscribed
            pushed = [notice for notice in fanout.notices if notice.for_inbox and notice.audience.user_id in users]
            if pushed:
                push.append((body, attached(pushed)))
        messages = [(jobs_body(jobs[start:start + self.chunk]), queue) for queue, jobs
                    in ((self.email_queue, email), (self.push_queue, push)) for start in range(0, len(jobs), self.chunk)]
        # Not waiting for the confirms: the batch commits and announces meanwhile (shared/batch_consumer.py).
        return self.publisher.publish_many(messages, wait=False) if messages else None

    def close(self) -> None:
        self.publisher.close()


def items_of(fanouts: list[Fanout]) -> list:
    """The inbox items of a committed batch, for the live announcement."""
    return [item for fanout in fanouts for item in fanout.items]
