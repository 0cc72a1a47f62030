"""deploy/gunicorn_worker.py under gunicorn for real: a thread serves a kept-alive connection's
next requests itself, and lets it go as soon as another connection waits for a thread."""
from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time

import pytest

from tests.deploy.conftest import ROOT
from tests.deploy.test_process_tools import clean_env, stop, wait_until
from tests.support import free_port

APP = '''
def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    answer = environ["PATH_INFO"].encode() + b" " + body
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(answer)))])
    return [answer]
'''


@pytest.fixture
def server(tmp_path):
    (tmp_path / "echo_app.py").write_text(APP)
    port = free_port()
    # A thread waits long for a connection's next request here: only the check that another
    # connection waits for it can let it go while the busy client below keeps sending.
    env = {**clean_env(), "PYTHONPATH": f"{ROOT}:{tmp_path}", "GUNICORN_NEXT_REQUEST_WAIT": "0.3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "echo_app:app", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "1", "--worker-class", "deploy.gunicorn_worker.KeepAliveThreadWorker", "--keep-alive", "30"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def listening():
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/ready")
            return connection.getresponse().status == 200
        except OSError:
            return False

    wait_until(listening)
    yield port
    assert stop(process) == 0


def test_requests_one_after_another_on_a_kept_alive_connection_are_each_answered(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    for number in range(200):
        body = f"body {number}".encode() if number % 2 else None
        connection.request("POST" if body else "GET", f"/{number}", body=body)
        response = connection.getresponse()
        assert response.read() == f"/{number} ".encode() + (body or b"")
    connection.close()


def test_a_busy_connection_does_not_keep_the_only_thread_from_another(server):
    """One thread; one client sends request after request for 3 s; another's single request is
    answered long before that ends."""
    stop_at = time.monotonic() + 3
    busy_answers = []

    def busy():
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
        while time.monotonic() < stop_at:
            connection.request("GET", "/busy")
            busy_answers.append(connection.getresponse().read())
        connection.close()

    hammering = threading.Thread(target=busy)
    hammering.start()
    try:
        wait_until(lambda: len(busy_answers) > 50, timeout=2, interval=0.01)
        started = time.monotonic()
        other = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
        other.request("GET", "/other")
        assert other.getresponse().read() == b"/other "
        waited = time.monotonic() - started
        other.close()
        assert time.monotonic() < stop_at, "the busy client stopped first: the test proves nothing"
        assert waited < 1
    finally:
        hammering.join()
