"""Push endpoints aimed at internal addresses: refused when subscribing, never connected to when
sending (rows from before the check, names that resolve or re-resolve to internal addresses),
and a subscription whose sends keep failing is dropped after PUSH_MAX_FAILURES tries."""
import ipaddress
import socket

import pytest

from services.notifications import config
from services.notifications.app import create_app
from services.notifications.models import PushSubscription, db
from services.notifications.push import PushChannel, PushFailed
from services.notifications.push_safety import EndpointRefused, check_endpoint
from services.notifications.worker import create_worker
from shared import clock
from tests.conftest import close_database
from tests.notifications.conftest import As, app_settings, customer
from tests.notifications.push_receiver import ConnectionCounter, PushReceiver
from tests.notifications.support import message_added, registered, requester, wait_until
from tests.support import free_port

# The same loopback host as the receiver's allowed 127.0.0.1, written the ways getaddrinfo reads it.
LOOPBACK_FORMS = ["2130706433", "0x7f000001", "127.1", "0177.0.0.1", "017700000001", "0x7f.1", "0",
                  "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::1]", "[::]", "localhost", "LocalHost"]
OTHER_INTERNAL = ["10.0.0.8", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.251",
                  "240.0.0.1", "[fe80::1]", "[fc00::1]", "[fec0::1]", "[ff02::1]", "[64:ff9b::7f00:1]",
                  "[2002:7f00:1::1]", "[::ffff:10.0.0.1]", "[2001:db8::1]", "metadata.internal", "printer.local"]


def local_name() -> str:
    """This machine's own name, which its resolver answers with an internal address."""
    name = socket.gethostname()
    addresses = {answer[4][0] for answer in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)}
    assert addresses and not any(ipaddress.ip_address(address).is_global for address in addresses), addresses
    return name


@pytest.fixture
def receiver():
    service = PushReceiver()
    yield service
    service.close()


@pytest.fixture
def listener():
    counter = ConnectionCounter()
    yield counter
    counter.close()


@pytest.fixture
def guarded_app(database_url, receiver):
    """The app with the allowance tests need: the receiver's exact host:port and nothing else."""
    app = create_app(app_settings(database_url, PUSH_ALLOWED_HOSTS=[receiver.host_port], PUSH_TIMEOUT=2.0))
    yield app
    close_database(db)


def subscribe(app, endpoint: str, keys: dict, user_id: int = 1):
    return As(app.test_client(), customer(user_id)).post("/api/v1/push-subscriptions",
                                                         json={"endpoint": endpoint, "keys": keys})


def deliver(app, envelope, **settings) -> int:
    with db.connection_context():
        return PushChannel({**app.config, **settings}, app.extensions["vapid"]).deliver(envelope)


def test_subscribing_an_internal_host_in_any_form_is_refused(guarded_app, receiver):
    port = receiver.host_port.rsplit(":", 1)[1]
    keys = receiver.browser("b")["keys"]
    accepted = []
    for host in LOOPBACK_FORMS + OTHER_INTERNAL:
        for endpoint in (f"https://{host}:{port}/b", f"https://{host}/b", f"http://{host}:{port}/b"):
            response = subscribe(guarded_app, endpoint, keys)
            if response.status_code != 400:
                accepted.append((endpoint, response.status_code))
                continue
            assert response.json["error"]["code"] == "validation_error"
            assert list(response.json["error"]["details"]["fields"]) == ["endpoint"]
    assert accepted == []
    with db.connection_context():
        assert PushSubscription.select().count() == 0


def test_a_name_that_resolves_to_an_internal_address_is_refused(guarded_app, receiver):
    response = subscribe(guarded_app, f"https://{local_name()}/push/abc", receiver.browser("b")["keys"])
    assert response.status_code == 400
    assert "endpoint" in response.json["error"]["details"]["fields"]


def test_the_allowance_is_the_exact_host_and_port(guarded_app, receiver):
    allowed = receiver.browser("allowed")
    assert subscribe(guarded_app, allowed["endpoint"], allowed["keys"]).status_code == 201
    other_port = f"http://127.0.0.1:{free_port()}/x"
    assert subscribe(guarded_app, other_port, allowed["keys"]).status_code == 400


def test_without_configuration_no_host_is_exempt(monkeypatch):
    monkeypatch.delenv("PUSH_ALLOWED_HOSTS", raising=False)
    settings = config.settings()
    assert settings["PUSH_ALLOWED_HOSTS"] == []
    with pytest.raises(EndpointRefused):
        check_endpoint("https://127.0.0.1/push", frozenset(settings["PUSH_ALLOWED_HOSTS"]))
    with pytest.raises(EndpointRefused):
        check_endpoint("http://fcm.googleapis.com/fcm/send/x", frozenset(settings["PUSH_ALLOWED_HOSTS"]))


def test_rows_stored_before_the_check_get_no_connection(guarded_app, receiver, listener):
    """As if subscribed before the endpoint was checked: the push is attempted, nothing connects."""
    keys = receiver.browser("b")["keys"]
    hosts = LOOPBACK_FORMS + [local_name(), "127.0.0.1"]
    endpoints = [f"https://{host}:{listener.port}/b" for host in hosts] + [f"http://127.0.0.1:{listener.port}/b"]
    with db.connection_context():
        for endpoint in endpoints:
            PushSubscription.create(user_id=1, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"],
                                    created_at=clock.now())
    try:
        outcome = deliver(guarded_app, message_added("12345678", requester(1)))
    except PushFailed as exc:
        outcome = exc
    assert listener.count_after_a_probe() == 0
    assert outcome == 0
    with db.connection_context():
        assert PushSubscription.select().count() == 0  # not public: unsubscribed, not retried


def test_names_that_turn_internal_later_get_no_connection(guarded_app, receiver, listener, monkeypatch):
    """DNS that answers a public address at first and loopback afterwards (rebinding): the subscription
    was accepted, the send refuses to dial loopback, and the address the send checked is the one it dials."""
    real_getaddrinfo = socket.getaddrinfo
    lookups: dict[str, int] = {}
    # How many lookups of each name answer a public address before the answers turn to loopback:
    # `late` turns after the subscription's check; `quick` after the send's own check.
    public_answers = {"late.rebind.test": 1, "quick.rebind.test": 2}

    def rebinding_dns(host, port, *args, **kwargs):
        if host not in public_answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups[host] = lookups.get(host, 0) + 1
        address = "93.184.216.34" if lookups[host] <= public_answers[host] else "127.0.0.1"
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    keys = receiver.browser("b")["keys"]
    for name in public_answers:
        assert subscribe(guarded_app, f"https://{name}:{listener.port}/b", keys).status_code == 201
    with pytest.raises(PushFailed):  # quick's public address is not reachable from here (or not a push service)
        deliver(guarded_app, message_added("12345678", requester(1)), PUSH_TIMEOUT=0.5)
    assert listener.count_after_a_probe() == 0
    assert lookups == {"late.rebind.test": 2, "quick.rebind.test": 2}  # one lookup per send, no second one
    with db.connection_context():
        [left] = PushSubscription.select()
        assert left.endpoint.startswith("https://quick.") and left.failures == 1  # late's was refused: dropped


def test_a_failing_push_service_gets_at_most_the_cap_then_the_subscription_is_dropped(
        tmp_path, broker, smtp, receiver):
    app = create_app(app_settings(f"sqlite:///{tmp_path}/n.db", PUSH_ALLOWED_HOSTS=[receiver.host_port],
                                  PUSH_MAX_FAILURES=3, MAX_RETRIES=8, BACKOFF_BASE=0.02,
                                  **broker.settings(), **smtp.settings()))
    working, failing = receiver.browser("working"), receiver.browser("failing", status=503)
    for browser in (working, failing):
        assert subscribe(app, browser["endpoint"], browser["keys"], user_id=4).status_code == 201
    worker = create_worker(dict(app.config)).start()
    try:
        broker.publish(registered(4, "dana@example.com"), message_added("87654321", requester(4)))
        wait_until(lambda: PushSubscription.select().count() == 1, timeout=20, message="the failing browser dropped")
        [pusher] = [consumer for consumer in worker.consumers if consumer.channel == "push"]
        wait_until(lambda: pusher.handled == 1, message="the event done with")
        assert receiver.hits == {"working": 1, "failing": 3}
        assert broker.queue_depth("notifications.push.dlq") == 0
        assert PushSubscription.get().endpoint == working["endpoint"]
    finally:
        worker.stop(timeout=10)
        close_database(db)


def test_an_unreachable_endpoint_is_dropped_after_the_cap_and_a_success_resets_the_count(database_url, receiver):
    closed = free_port()
    app = create_app(app_settings(database_url, PUSH_ALLOWED_HOSTS=[receiver.host_port, f"127.0.0.1:{closed}"],
                                  PUSH_MAX_FAILURES=3))
    try:
        flaky = receiver.browser("flaky", status=503)
        assert subscribe(app, flaky["endpoint"], flaky["keys"]).status_code == 201
        assert subscribe(app, f"http://127.0.0.1:{closed}/gone", flaky["keys"]).status_code == 201
        reply = message_added("12345678", requester(1))
        for _ in range(2):
            with pytest.raises(PushFailed):
                deliver(app, reply)
        receiver.browsers["flaky"].status = 201
        assert deliver(app, reply) == 1  # the third failure of the closed port drops it: no retry for it
        with db.connection_context():
            [kept] = PushSubscription.select()
            assert kept.endpoint == flaky["endpoint"] and kept.failures == 0
        assert receiver.hits == {"flaky": 3}
    finally:
        close_database(db)
