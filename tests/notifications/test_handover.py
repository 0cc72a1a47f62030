"""Where a sender killed mid-email leaves the record and the message (services/notifications/handover.py).

A child process sends one email to a real SMTP server with the delivery recorded in a real database,
and SIGKILLs itself at a chosen step; the test then reads both sides."""
import subprocess
import sys
import textwrap
import time

import pytest

from services.notifications.app import create_app
from services.notifications.models import Delivery, db
from tests.conftest import close_database
from tests.notifications.conftest import app_settings
from tests.notifications.support import ROOT

CHILD = textwrap.dedent("""
    import os, signal, smtplib, sys
    from services.notifications import handover
    from services.notifications.app import init_database
    from services.notifications.handover import DeliveryRecorder
    from services.notifications.mail import SmtpTransport, build_message
    from services.notifications.models import Delivery

    database_url, port, step = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    init_database(database_url, False)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "before-commit":  # the record inserted, its COMMIT not yet written
        execute = DeliveryRecorder._execute
        def _execute(self, connection, sql, params=None):
            if sql == "COMMIT":
                die()
            return execute(self, connection, sql, params)
        DeliveryRecorder._execute = _execute
    send = smtplib.SMTP.send
    def send_then_maybe_die(self, data):
        if data == b".\\r\\n" and step == "before-dot":
            die()
        send(self, data)
        if data == b".\\r\\n" and step == "after-dot":
            die()
    smtplib.SMTP.send = send_then_maybe_die

    recorder = DeliveryRecorder()
    message = build_message(sender="no-reply@support.example", sender_name=None, recipient="alice@example.com",
                            subject="Updated", plain="p", html="<p>h</p>", msgid="<m1@support.example>", locale="en")
    row = {"event_id": "e1", "channel": "email", "recipient": "alice@example.com", "topic": "ticket_reply",
           "message_id": "<m1@support.example>"}
    SmtpTransport("127.0.0.1", port).send(message, "no-reply@support.example", "alice@example.com",
                                          lambda: recorder.begin(row), lambda: None)
    print("sent")
""")


@pytest.fixture
def database(database_url):
    create_app(app_settings(database_url))  # the tables, as the migration job makes them
    yield database_url
    close_database(db)


def records() -> int:
    with db.connection_context():
        return Delivery.select().where(Delivery.event_id == "e1").count()


def send_and_die_at(step: str, database_url: str, smtp) -> tuple[int, int]:
    child = subprocess.run([sys.executable, "-c", CHILD, database_url, str(smtp.port), step], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == -9, child.stdout + child.stderr
    time.sleep(0.5)  # the server reads the closed connection; the database rolls back or commits
    return records(), len(smtp.messages)


def test_killed_before_the_commit_leaves_neither_record_nor_email(database, smtp):
    if not database.startswith("postgresql"):
        pytest.skip("on SQLite the record is committed by the process itself, in one step")
    assert send_and_die_at("before-commit", database, smtp) == (0, 0)


def test_killed_after_the_dot_leaves_the_record_and_the_email(database, smtp):
    assert send_and_die_at("after-dot", database, smtp) == (1, 1)


def test_the_record_is_certain_before_the_dot_leaves(database, smtp):
    """The one step left between the two: a kill here keeps the record and loses the unfinished message
    (the server never got its dot). Everything before it redelivers; everything after it is done."""
    assert send_and_die_at("before-dot", database, smtp) == (1, 0)
