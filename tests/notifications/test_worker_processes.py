"""Worker processes as ops run them (`python -m services.notifications.worker`) on RabbitMQ:
a SIGKILL in the middle of a burst, competing workers and SIGTERM, an SMTP outage, a worker per channel."""
import pytest

from services.notifications.app import create_app
from services.notifications.models import Notification, db
from tests.conftest import close_database
from tests.e2e.harness import wait_for_count
from tests.notifications.conftest import app_settings
from tests.notifications.support import WorkerProcess, message_added, requester, wait_until, worker_env
from tests.support import PG_URL, drop_pg_schema, unique

pytestmark = [pytest.mark.e2e, pytest.mark.rabbitmq]


@pytest.fixture
def pg_url():
    schema = unique("n")
    yield f"{PG_URL}?schema={schema}"
    drop_pg_schema(schema)


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        process.stop()


def burst(count: int, first_user: int = 1000) -> list:
    """`count` agent replies to 100 customers, each a new activity."""
    return [message_added(f"{50_000_000 + index}", requester(first_user + index % 100, f"c{index % 100}@example.com"),
                          message_id=index) for index in range(count)]


def inbox_count() -> int:
    with db.connection_context():
        return Notification.select().count()


def open_database(database_url: str):
    """The test reads the worker's database (and creates its tables first, as a deployment's migration job does)."""
    create_app(app_settings(database_url))


def assert_exactly_once(events, smtp) -> None:
    with db.connection_context():
        assert Notification.select().count() == len(events)
        assert {n.event_id for n in Notification.select(Notification.event_id)} == {e.id for e in events}
    messages = smtp.messages
    assert len(messages) == len(events)
    assert len({m["Message-ID"] for m in messages}) == len(events)


def start_channel_workers(env: dict, tmp_path, name: str) -> list[WorkerProcess]:
    """The inbox and the email worker as the deployments run them: a process each, serving its channel."""
    workers = [WorkerProcess({**env, "NOTIFICATIONS_CHANNELS": channels}, tmp_path / f"{name}-{label}.log")
               for label, channels in (("inbox", "inbox,push"), ("email", "email"))]
    for worker in workers:
        worker.wait_started()
    return workers


@pytest.mark.chaos
@pytest.mark.timeout(600)  # a burst drained on a loaded machine: bounded by its progress (wait_for_count)
def test_sigkill_mid_burst_then_restart_gives_every_item_and_email_once(pg_url, broker, smtp, processes, tmp_path):
    open_database(pg_url)
    env = worker_env(pg_url, broker, smtp.port, tmp_path)
    first = start_channel_workers(env, tmp_path, "first")
    processes.extend(first)
    events = burst(1000)
    broker.publish(*events)
    wait_until(lambda: inbox_count() >= 250, timeout=30, interval=0.005, message="a quarter of the burst")
    for worker in first:
        worker.kill()
    at_kill = (inbox_count(), len(smtp.messages))
    assert at_kill[0] < 1000 or at_kill[1] < 1000, f"the burst was over before the kill: {at_kill}"

    second = start_channel_workers(env, tmp_path, "second")
    processes.extend(second)
    wait_for_count(inbox_count, 1000, message="every inbox item")
    wait_for_count(lambda: len(smtp.messages), 1000, message="every email")
    assert [worker.terminate() for worker in second] == [0, 0]
    assert broker.queue_depth("notifications.events") == 0 and broker.queue_depth("notifications.email") == 0
    assert_exactly_once(events, smtp)
    close_database(db)


@pytest.mark.chaos
@pytest.mark.timeout(600)  # a burst drained on a loaded machine: bounded by its progress (wait_for_count)
def test_competing_workers_share_a_backlog_and_stop_cleanly_on_sigterm(pg_url, broker, smtp, processes, tmp_path):
    open_database(pg_url)
    env = worker_env(pg_url, broker, smtp.port, tmp_path, NOTIFICATIONS_PREFETCH="50",
                     NOTIFICATIONS_BATCH_SIZE="25")
    workers = [WorkerProcess(env, tmp_path / f"worker{n}.log") for n in (1, 2)]
    processes.extend(workers)
    for worker in workers:
        worker.wait_started()
    # Both share the backlog only once both subscribe (their threads do, after "worker started").
    wait_until(lambda: broker.consumers("notifications.events") == 2, timeout=60, message="both inbox consumers")
    events = burst(800, first_user=2000)
    broker.publish(*events)
    wait_for_count(inbox_count, 200, interval=0.005, message="the backlog to drain")
    assert workers[0].terminate(timeout=30) == 0  # mid-backlog: finishes its batch, gives back its prefetch
    stopped = [line["message"] for line in workers[0].log_lines()]
    assert "worker stopping" in stopped and "worker stopped" in stopped
    # However slowly a loaded machine drains them: every one, none stuck (shared/consumer.py, the stop).
    wait_for_count(inbox_count, 800, message="the other worker to finish")
    wait_for_count(lambda: len(smtp.messages), 800, message="every email")
    assert workers[1].terminate(timeout=30) == 0
    handled = [worker.handled("inbox") for worker in workers]
    assert all(count > 0 for count in handled) and sum(handled) == 800, handled
    assert sum(worker.handled("email") for worker in workers) == 800
    assert_exactly_once(events, smtp)
    close_database(db)


@pytest.mark.chaos
@pytest.mark.timeout(600)  # a burst drained on a loaded machine: bounded by its progress (wait_for_count)
def test_smtp_outage_during_a_burst_delays_emails_and_loses_none(broker, smtp, processes, tmp_path):
    """An outage of several back-off steps (the default 1..60 s steps scaled by 0.1, so eight seconds stand
    for the minute-long outage): the inbox goes on, emails wait and then each arrives once."""
    database_url = f"sqlite:///{tmp_path}/notifications.db"
    open_database(database_url)
    env = worker_env(database_url, broker, smtp.port, tmp_path, NOTIFICATIONS_BACKOFF_BASE="0.1")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    processes.append(worker)
    worker.wait_started()
    events = burst(300, first_user=3000)
    broker.publish(*events[:50])
    smtp.wait_for(10)
    smtp.stop()
    broker.publish(*events[50:])
    wait_for_count(inbox_count, 300, message="the inbox, while SMTP is down")
    before = len(smtp.messages)
    assert before < 300

    def retries(least: int = 1) -> int:
        return sum(1 for line in worker.log_lines() if line.get("message") == "event handler failed; retrying"
                   and line.get("attempt", 0) >= least)

    # A round of retries goes through the whole backlog: on a loaded machine each takes seconds, not the backoff.
    wait_for_count(lambda: retries(5), 1, progress=retries, message="the fifth retry")
    smtp.start()
    wait_for_count(lambda: len(smtp.messages), 300, message="every email after the outage")
    assert broker.queue_depth("notifications.email.dlq") == 0
    assert worker.terminate() == 0
    assert_exactly_once(events, smtp)
    close_database(db)


def test_a_worker_serves_only_the_channels_it_is_told(broker, smtp, processes, tmp_path):
    """The email worker sends what the inbox worker composed: each event's notices are composed once, by the
    inbox worker (the fan-out), and carried to the email queue as jobs; so the emails wait for an inbox worker,
    and then each goes once, from the email worker."""
    database_url = f"sqlite:///{tmp_path}/notifications.db"
    open_database(database_url)
    env = worker_env(database_url, broker, smtp.port, tmp_path)
    email_only = WorkerProcess({**env, "NOTIFICATIONS_CHANNELS": "email"}, tmp_path / "email.log")
    processes.append(email_only)
    email_only.wait_started()
    events = burst(20, first_user=4000)
    broker.publish(*events)
    wait_until(lambda: broker.queue_depth("notifications.events") == 20, message="the events waiting")
    assert inbox_count() == 0 and smtp.messages == [] and broker.queue_depth("notifications.email") == 0
    inbox_only = WorkerProcess({**env, "NOTIFICATIONS_CHANNELS": "inbox"}, tmp_path / "inbox.log")
    processes.append(inbox_only)
    inbox_only.wait_started()
    wait_until(lambda: inbox_count() == 20, message="the inbox worker's items")
    smtp.wait_for(20)
    assert [email_only.terminate(), inbox_only.terminate()] == [0, 0]
    assert (email_only.handled("inbox"), email_only.handled("email")) == (0, 20)
    assert (inbox_only.handled("inbox"), inbox_only.handled("email")) == (20, 0)
    assert_exactly_once(events, smtp)
    close_database(db)
