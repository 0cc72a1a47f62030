"""The shared pooled publisher on a real RabbitMQ: threads publish in turn on kept connections, with
confirms, in order; a publish that failed leaves no broken connection in the pool."""
from __future__ import annotations

import threading

import pytest
from kombu import Connection, Queue

from shared.bus import PooledPublisher
from tests.support import AMQP_URL, unique

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def queue_name():
    name = unique("pooled")
    with Connection(AMQP_URL) as connection:
        Queue(name, durable=True)(connection.default_channel).declare()
    yield name
    with Connection(AMQP_URL) as connection:
        connection.default_channel.queue_delete(name)


def drain(name: str) -> list[str]:
    bodies = []
    with Connection(AMQP_URL) as connection:
        queue = Queue(name, durable=True)(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(message.body.decode() if isinstance(message.body, bytes) else message.body)
    return bodies


def test_threads_share_a_few_connections_and_every_body_arrives_in_order(queue_name):
    publisher = PooledPublisher(AMQP_URL, confirm=True, size=2)
    opened = []
    acquire = publisher._acquire

    def counting():
        producer = acquire()
        opened.append(id(producer))
        return producer

    publisher._acquire = counting

    def publish(thread: int) -> None:
        for index in range(20):
            publisher.publish_many([(f'{{"t": {thread}, "i": {index}}}', queue_name)])

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    publisher.close()
    bodies = drain(queue_name)
    assert len(bodies) == 60
    for thread in range(3):
        mine = [body for body in bodies if f'"t": {thread},' in body]
        assert mine == [f'{{"t": {thread}, "i": {index}}}' for index in range(20)]
    assert len(set(opened)) <= 5  # kept and reused, not a connection per publish


def test_a_failed_publish_raises_and_its_connection_is_not_kept(queue_name):
    publisher = PooledPublisher(AMQP_URL, confirm=True)
    publisher.publish('{"n": 1}', queue_name)
    [kept] = list(publisher._idle.queue)
    with pytest.raises(TypeError):
        publisher.publish_many([(object(), queue_name)])  # not a body kombu can send
    assert kept not in list(publisher._idle.queue)
    publisher.publish('{"n": 2}', queue_name)  # a fresh connection
    publisher.close()
    assert drain(queue_name) == ['{"n": 1}', '{"n": 2}']
