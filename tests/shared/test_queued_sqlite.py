"""SQLite writers of one process take turns on a lock before BEGIN IMMEDIATE (shared/db.py), so a
waiting writer starts as soon as the last one ends instead of sleeping in SQLite's busy handler;
the turn ends with the transaction however it ends."""
from __future__ import annotations

import threading
import time

import pytest

from shared.db import make_database


@pytest.fixture
def database(tmp_path):
    database = make_database(f"sqlite:///{tmp_path}/queued.db", "queued")
    with database.connection_context():
        database.execute_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, value TEXT)")
    yield database
    database.close_all()


def another_thread_writes(database, value: str, timeout: float = 5.0) -> bool:
    """Whether a writer on another thread gets its turn and commits within `timeout`."""
    done = threading.Event()

    def writer() -> None:
        with database.connection_context(), database.atomic():
            database.execute_sql("INSERT INTO item (value) VALUES (?)", (value,))
        done.set()

    threading.Thread(target=writer, daemon=True).start()
    return done.wait(timeout)


def test_concurrent_writers_each_wait_about_the_others_transactions_not_the_busy_handler(database):
    hold = 0.02
    waits: list[float] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        for round_number in range(5):
            asked = time.perf_counter()
            with database.connection_context(), database.atomic():
                started = time.perf_counter()
                database.execute_sql("INSERT INTO item (value) VALUES (?)", (f"{index}-{round_number}",))
                time.sleep(hold)  # a transaction that keeps the write lock a while
            with lock:
                waits.append(started - asked)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with database.connection_context():
        assert database.execute_sql("SELECT COUNT(*) FROM item").fetchone()[0] == 40
    # The worst wait is the other seven writers' transactions, not seconds of busy-handler sleeps.
    assert max(waits) < 7 * hold * 4 + 0.5, max(waits)


def test_the_turn_ends_with_a_rollback_and_with_a_closed_connection(database):
    with pytest.raises(RuntimeError), database.connection_context(), database.atomic():
        database.execute_sql("INSERT INTO item (value) VALUES ('rolled back')")
        raise RuntimeError("the request failed")
    database.connect(reuse_if_open=True)
    database.begin()  # a transaction left open when its connection goes back to the pool
    database.close()
    assert another_thread_writes(database, "next"), "a writer of another thread still waits for a turn that ended"
    with database.connection_context():
        assert [row[0] for row in database.execute_sql("SELECT value FROM item")] == ["next"]


def test_a_thread_that_begins_again_before_its_transaction_ended_keeps_its_turn_and_gives_it_back(database):
    database.connect(reuse_if_open=True)
    database.begin()
    database.execute_sql("COMMIT")  # ended behind the database's back: its turn is still held
    started = time.perf_counter()
    database.begin()  # no wait on itself, and the turn is the same one
    assert time.perf_counter() - started < 1
    database.commit()
    database.close()
    assert another_thread_writes(database, "after"), "the turn was lost"


def test_after_commit_runs_once_the_transaction_commits_and_never_after_a_rollback(database):
    seen: list[str] = []

    def committed_rows() -> int:  # read on another thread's connection: what a relay would find
        found = []

        def read() -> None:
            with database.connection_context():
                found.append(database.execute_sql("SELECT COUNT(*) FROM item").fetchone()[0])

        thread = threading.Thread(target=read)
        thread.start()
        thread.join(5)
        return found[0]

    with database.connection_context():
        with database.atomic():
            database.execute_sql("INSERT INTO item (value) VALUES ('kept')")
            database.after_commit(lambda: seen.append(f"committed, {committed_rows()} row(s) visible"))
            with database.atomic():  # a savepoint's end is not the commit
                database.execute_sql("INSERT INTO item (value) VALUES ('nested')")
            assert seen == []
        assert seen == ["committed, 2 row(s) visible"]
        with pytest.raises(RuntimeError), database.atomic():
            database.execute_sql("INSERT INTO item (value) VALUES ('undone')")
            database.after_commit(lambda: seen.append("rolled back"))
            raise RuntimeError("the handler failed")
        with database.atomic():
            database.execute_sql("INSERT INTO item (value) VALUES ('next')")  # the rolled back callback is gone
        database.after_commit(lambda: seen.append("outside a transaction: at once"))
    assert seen == ["committed, 2 row(s) visible", "outside a transaction: at once"]
