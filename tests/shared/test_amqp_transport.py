"""The buffered RabbitMQ transport (shared/amqp_transport.py) on a real broker: every message arrives whole
and in order whatever its size (bodies larger than a frame, and than a read), a wait that times out loses
nothing of a frame half read, and a burst takes far fewer socket reads than frames."""
from __future__ import annotations

import pytest
from kombu import Consumer, Producer, Queue

from shared.amqp_transport import READ_CHUNK, BufferedTCPTransport
from shared.bus import connect
from tests.support import AMQP_URL, unique

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def connection():
    with connect(AMQP_URL) as connection:
        connection.connect()
        yield connection


@pytest.fixture
def queue(connection):
    declared = Queue(unique("buffered"), durable=False, auto_delete=False)(connection.default_channel)
    declared.declare()
    yield declared
    declared.delete()


def consume(connection, queue, count: int) -> list:
    received = []

    def on_message(body, message):
        received.append(body)
        message.ack()

    with Consumer(connection.default_channel, [queue], callbacks=[on_message], accept=["json"]):
        while len(received) < count:
            connection.drain_events(timeout=10)
    return received


def test_connections_to_rabbitmq_read_through_the_buffered_transport(connection):
    assert isinstance(connection.connection.transport, BufferedTCPTransport)


def test_messages_of_every_size_arrive_whole_and_in_order(connection, queue):
    # Small ones many to a read; large ones over several frames (frame_max 128 KiB) and several reads.
    sizes = [0, 1, 7, 100, 5_000, READ_CHUNK - 30, READ_CHUNK, 200_000, 3, 400_000] + [50] * 300
    producer = Producer(connection.default_channel)
    for index, size in enumerate(sizes):
        producer.publish({"index": index, "pad": "x" * size}, routing_key=queue.name, serializer="json")

    received = consume(connection, queue, len(sizes))

    assert [body["index"] for body in received] == list(range(len(sizes)))
    assert [len(body["pad"]) for body in received] == sizes


def test_a_wait_that_times_out_keeps_the_frame_it_had_begun(connection, queue):
    transport = connection.connection.transport
    # Published on a connection of its own, so that only the consumer's waits read this one's socket.
    other = connect(AMQP_URL)
    producer = Producer(other.default_channel)
    producer.publish({"index": 0}, routing_key=queue.name, serializer="json")
    received = []
    with Consumer(connection.default_channel, [queue], callbacks=[lambda body, message: received.append(body)],
                  accept=["json"]):
        while not received:
            connection.drain_events(timeout=10)
        # Half a frame held back: the read must time out, then give the frame whole once the rest comes.
        real_recv, held = transport._quick_recv, []

        def slow_recv(size):
            data = real_recv(size)
            if not held and len(data) > 4:
                held.append(data[4:])
                return data[:4]
            return data

        transport._quick_recv = slow_recv
        producer.publish({"index": 1}, routing_key=queue.name, serializer="json")
        while not held:
            try:
                connection.drain_events(timeout=0.5)
            except TimeoutError:
                pass
        with pytest.raises(TimeoutError):
            connection.drain_events(timeout=0.2)
        transport._quick_recv = real_recv
        transport._read_buffer += held[0]
        connection.drain_events(timeout=10)
    other.close()

    assert [body["index"] for body in received] == [0, 1]


def test_a_burst_takes_far_fewer_socket_reads_than_frames(connection, queue):
    producer = Producer(connection.default_channel)
    for index in range(500):
        producer.publish({"index": index}, routing_key=queue.name, serializer="json")
    transport = connection.connection.transport
    real_recv, reads = transport._quick_recv, []
    transport._quick_recv = lambda size: reads.append(size) or real_recv(size)

    received = consume(connection, queue, 500)

    assert len(received) == 500
    # Three frames a message: py-amqp alone read the socket three times for each (1,500 here); buffered, a read
    # takes what has arrived, at worst one message (its three frames come in one write), mostly many.
    assert len(reads) < 750
