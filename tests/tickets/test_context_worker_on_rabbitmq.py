"""The tickets worker on a real RabbitMQ (as deployed) binds its queue to the events of the
customer context and keeps the facts: a registration, a referral standing and a video call
published on the exchange reach the agent's context panel, and a redelivery changes nothing."""
import uuid

import pytest
from kombu import Connection, Producer

from services.tickets.customers.models import CustomerProfile, CustomerReferral, CustomerVideoCall
from services.tickets.worker import create_worker
from shared.bus import connect, event_exchange
from shared.events import Envelope, EventType
from tests.e2e.harness import wait_for
from tests.support import AMQP_URL
from tests.tickets.conftest import new_ticket

pytestmark = [pytest.mark.rabbitmq]


@pytest.fixture
def publish(app):
    settings = dict(app.config, AMQP_URL=AMQP_URL, EVENT_EXCHANGE=f"test.tickets.{uuid.uuid4().hex[:8]}",
                    QUEUE_PREFIX=f"test-{uuid.uuid4().hex[:8]}.")
    running = create_worker(settings, app.extensions["outbox"])
    topology = running.consumer.topology
    assert {EventType.USER_REGISTERED, EventType.USER_PROFILE_CHANGED, EventType.REFERRAL_MEMBER_JOINED,
            EventType.REFERRAL_BOX_GRANTED, EventType.REFERRAL_REWARD_CREDITED} <= set(topology.event_types)
    connection = connect(AMQP_URL)
    with connection.channel() as channel:
        topology.declare(channel)
    running.start()
    fast = Connection(AMQP_URL)
    producer = Producer(fast.channel(), exchange=event_exchange(settings["EVENT_EXCHANGE"]))

    def _publish(envelope):
        producer.publish(envelope.to_json(), routing_key=envelope.type, content_type="application/json",
                         content_encoding="utf-8", delivery_mode=2, message_id=envelope.id, type=envelope.type)

    yield _publish
    fast.close()
    running.stop(timeout=10)
    with connection.channel() as channel:
        for queue in (topology.queue, topology.retry_queue, topology.dead_letter_queue):
            queue(channel).delete()
        topology.exchange(channel).delete()
    connection.close()


def test_context_events_on_rabbitmq(alice, support, publish):
    number = new_ticket(alice)["number"]
    registered = Envelope.new(EventType.USER_REGISTERED, {
        "user_id": 1, "email": "alice@example.com", "locale": "es", "region": "AR", "referral_code": None,
        "parent_id": None, "registered_at": "2026-11-01T09:00:00.000Z"}, "gateway")
    standing = Envelope.new(EventType.REFERRAL_MEMBER_JOINED, {
        "user_id": 1, "eligible": True, "reason": None, "inviter_id": None, "counts_as_invitee": False}, "referrals")
    call = Envelope.new(EventType.VIDEO_CALL_PROPOSED, {
        "call_id": 5, "ticket_number": number, "slot_start": None, "slot_end": None,
        "requester": {"kind": "user", "user_id": 1, "email": "alice@example.com", "locale": "en"}}, "video")
    for envelope in (registered, standing, call, registered, standing):
        publish(envelope)
    wait_for(lambda: CustomerProfile.get_or_none(CustomerProfile.user_id == 1)
             and CustomerReferral.get_or_none(CustomerReferral.user_id == 1)
             and CustomerVideoCall.get_or_none(CustomerVideoCall.call_id == 5), timeout=20,
             message="the three facts")
    requester = support.get(f"/api/v1/agent/tickets/{number}/context").json["requester"]
    assert (requester["locale"], requester["region"], requester["referral"]["eligible"]) == ("es", "AR", True)
    assert requester["video_calls"]["total"] == 1
