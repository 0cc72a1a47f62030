"""`make run` without SMTP_HOST: a catcher takes the mail into DATA_DIR/mail and GET /mail lists it."""
import smtplib
import socket

import pytest

from services.notifications import app as notifications_app
from services.notifications.models import db
from tests.conftest import close_database
from tests.notifications.conftest import app_settings

CATCHER_VARIABLES = ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "MAIL_CATCHER_DIR", "MAIL_DIR", "MAIL_CATCHER_PORT")


@pytest.fixture
def embedded(monkeypatch, tmp_path):
    """The launcher's hook, with the variables it sets put back afterwards."""
    for name in CATCHER_VARIABLES:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setenv("MAIL_DIR", str(tmp_path / "mail"))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    monkeypatch.setenv("MAIL_CATCHER_PORT", str(busy.getsockname()[1]))  # taken: the catcher finds another
    line = notifications_app.before_embedded_start()
    yield line, tmp_path / "mail", busy.getsockname()[1]
    notifications_app._catcher.stop()
    busy.close()


def test_catcher_keeps_mail_and_the_page_lists_it(embedded, tmp_path):
    line, folder, busy_port = embedded
    settings = app_settings(f"sqlite:///{tmp_path}/n.db")
    del settings["MAIL_CATCHER_DIR"]  # the catcher's, as `make run` makes the app (its worker gets the same)
    app = notifications_app.create_app(settings)
    try:
        port = app.config["SMTP_PORT"]
        assert app.config["SMTP_HOST"] == "127.0.0.1" and port != busy_port
        assert f"127.0.0.1:{port}" in line and str(folder) in line and "/mail" in line
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail("no-reply@support.example", ["alice@example.com"],
                          b"From: no-reply@support.example\r\nTo: alice@example.com\r\n"
                          b"Subject: Your support ticket 12345 was updated\r\n\r\nOpen <the> ticket: https://x/y\r\n")
        [saved] = list(folder.glob("*.eml"))
        assert b"Subject: Your support ticket 12345 was updated" in saved.read_bytes()

        client = app.test_client()
        index = client.get("/mail/")
        assert index.status_code == 200 and "Your support ticket 12345 was updated" in index.text
        assert f"/mail/{saved.name}" in index.text
        shown = client.get(f"/mail/{saved.name}")
        assert shown.status_code == 200 and "Open &lt;the&gt; ticket: https://x/y" in shown.text
        raw = client.get(f"/mail/{saved.name}/raw")
        assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
        for bad in ("/mail/..%2Fn.db", "/mail/missing.eml", "/mail/n.db"):
            assert client.get(bad).status_code == 404
        assert client.get("/api/v1/notifications").status_code == 401  # the API keeps its guard
    finally:
        close_database(db)


def test_no_catcher_when_smtp_host_is_set(monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "mail.example")
    assert notifications_app.before_embedded_start() is None
