"""The referrals worker on a real RabbitMQ and PostgreSQL (the deployed pair): events in,
boxes granted once, rewards credited. The same logic on SQLite is covered through the
consumer in test_program.py and test_property.py, and end to end in test_e2e_referrals.py."""
import datetime as dt
import uuid

import pytest
from kombu import Connection, Producer

from services.referrals.models import LedgerEntry, Member, MysteryBox, OutboxMessage
from services.referrals.worker import create_worker
from shared.bus import connect, event_exchange
from tests.e2e.harness import wait_for
from tests.referrals.conftest import As
from tests.referrals.factories import T0, deposit, installed, registered, with_new_id
from tests.support import AMQP_URL, PG_URL, drop_pg_schema, unique

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]
INVITER, FRIEND = 10, 11


@pytest.fixture
def database_url():
    """PostgreSQL only here: a thousand transactions per database is the slowest test of the area."""
    schema = unique("t")
    yield f"{PG_URL}?schema={schema}"
    drop_pg_schema(schema)


@pytest.fixture
def worker(app):
    settings = dict(app.config, AMQP_URL=AMQP_URL, EVENT_EXCHANGE=f"test.referrals.{uuid.uuid4().hex[:8]}",
                    QUEUE_PREFIX=f"test-{uuid.uuid4().hex[:8]}.", REFERRAL_CREDIT_INTERVAL_SECONDS=0.2)
    running = create_worker(settings, app.extensions["outbox"])
    connection = connect(AMQP_URL)
    with connection.channel() as channel:
        topology = running.consumer.topology
        topology.declare(channel)  # bound before anything is published, so nothing is unroutable
    running.start()
    # Without publisher confirms, so a thousand events go out in a blink; one channel keeps their order.
    fast = Connection(AMQP_URL)
    producer = Producer(fast.channel(), exchange=event_exchange(settings["EVENT_EXCHANGE"]))

    def publish(envelope):
        producer.publish(envelope.to_json(), routing_key=envelope.type, content_type="application/json",
                         content_encoding="utf-8", delivery_mode=2, message_id=envelope.id, type=envelope.type)

    yield running, publish
    fast.close()
    running.stop(timeout=10)
    with connection.channel() as channel:
        for queue in (topology.queue, topology.retry_queue, topology.dead_letter_queue):
            queue(channel).delete()
        topology.exchange(channel).delete()
    connection.close()


def box_count() -> int:
    return MysteryBox.select().count()


def test_a_thousand_replayed_milestone_events_give_no_extra_box(worker, client):
    running, publish = worker
    install = installed(FRIEND, at=T0 + dt.timedelta(days=1))
    paid = deposit(FRIEND, "50", at=T0 + dt.timedelta(days=2), tx_id="0xdep")
    for envelope in (registered(INVITER), registered(FRIEND, inviter=INVITER), install, paid):
        publish(envelope)
    wait_for(lambda: box_count() == 4, timeout=20, message="the four boxes")

    replays = [install] * 400 + [paid] * 300
    replays += [with_new_id(install) for _ in range(150)] + [with_new_id(paid) for _ in range(150)]
    for envelope in replays:
        publish(envelope)
    assert len(replays) == 1000
    # One consumer takes its queue in order: once the sentinel is in, so are the replays before it.
    publish(registered(999))
    wait_for(lambda: Member.get_or_none(Member.user_id == 999), timeout=60, message="the sentinel")

    assert box_count() == 4
    assert sorted((b.user_id, b.milestone) for b in MysteryBox.select()) == [
        (INVITER, "app_installed"), (INVITER, "deposit_50"), (FRIEND, "app_installed"), (FRIEND, "deposit_50")]
    assert OutboxMessage.select().where(OutboxMessage.event_type == "referral.box_granted.v1").count() == 4

    # The worker's job credits an opened box's entry within seconds, and relays the event.
    box = MysteryBox.get((MysteryBox.user_id == FRIEND) & (MysteryBox.milestone == "app_installed"))
    assert As(client, FRIEND).post(f"/api/v1/referrals/boxes/{box.id}/open").status_code == 200
    wait_for(lambda: LedgerEntry.get().status == "credited", timeout=10, message="the credit")
    credited = wait_for(lambda: OutboxMessage.get_or_none(
        (OutboxMessage.event_type == "referral.reward_credited.v1") & OutboxMessage.sent_at.is_null(False)),
        timeout=10, message="the relayed credit event")
    assert credited is not None
