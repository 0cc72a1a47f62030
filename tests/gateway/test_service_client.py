"""The gateway's HTTP client to the services: one kept-alive connection per service and thread,
opened again once when the service closed it, a POST never sent twice, a stream on a
connection of its own that is closed when the stream ends."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from urllib3.util.wait import wait_for_read

from services.gateway.service_client import UpstreamClient
from shared.errors import ApiError
from shared.internal_auth import verify_internal_token
from tests.support import ISSUER, SECRET


class Service(BaseHTTPRequestHandler):
    """A service speaking HTTP/1.1 with keep-alive that records what it is sent. With `drop_second`,
    its first connection takes a second request and closes without answering, as a service does
    that closes an idle connection just as a request arrives."""

    protocol_version = "HTTP/1.1"
    drop_second = False

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.connection_number = self.server.connections
        self.answered = 0

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.connection_number, self.command, self.path, body,
                                 self.headers.get("Authorization", "")))
        if self.drop_second and self.connection_number == 1 and self.answered == 1:
            self.close_connection = True
            return
        self.answered += 1
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for number in range(3):
                event = f"data: {number}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
            return
        # Answered as kept alive, then closed: what a service's keep-alive timeout does to an idle one.
        self.close_connection = self.path == "/then-close"
        payload = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    """Start a recording service; `service(drop_second=True)` for one that drops a second request."""
    servers = []

    def start(drop_second: bool = False):
        handler = type("Recording", (Service,), {"drop_second": drop_second})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.lock, server.connections, server.seen = threading.Lock(), 0, []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        client = UpstreamClient({"tickets": f"http://127.0.0.1:{server.server_port}"}, 1.0, 2.0, SECRET, ISSUER)
        return server, client

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_thread_keeps_its_connection_and_each_thread_has_its_own(service):
    server, client = service()
    for _ in range(3):
        answer = client.request("tickets", "GET", "/api/v1/tickets", None, query="status=open")
        assert answer.status == 200 and answer.data == b'{"ok": true}'
    assert server.connections == 1
    assert [path for _, _, path, _, _ in server.seen] == ["/api/v1/tickets?status=open"] * 3
    caller = verify_internal_token(server.seen[0][4][len("Bearer "):], "tickets", SECRET, issuer=ISSUER)
    assert caller.kind == "anonymous"
    other = threading.Thread(target=client.request, args=("tickets", "GET", "/other", None))
    other.start()
    other.join()
    assert server.connections == 2


def test_a_connection_the_service_closed_while_idle_is_opened_again(service):
    """Seen closed before the request goes: a new connection takes it, a POST too, sent once."""
    server, client = service()
    assert client.request("tickets", "GET", "/then-close", None).status == 200
    kept = client._local.connections["tickets"].sock
    deadline = time.monotonic() + 5
    while not wait_for_read(kept, timeout=0.05):  # the service's close reaching the gateway
        assert time.monotonic() < deadline, "the service's close never arrived"
    # (Without a body the request goes in one write, which a closed connection still takes.)
    assert client.request("tickets", "POST", "/second", None).status == 200
    assert [(number, method, path) for number, method, path, _, _ in server.seen] == [
        (1, "GET", "/then-close"), (2, "POST", "/second")]


@pytest.mark.parametrize("method, sent_again", [("GET", True), ("POST", False)])
def test_a_request_the_service_dropped_on_a_kept_alive_connection(service, method, sent_again):
    """A GET is sent once more on a new connection; a POST, which the service may have acted on, is not:
    503 in the contract's shape."""
    server, client = service(drop_second=True)
    assert client.request("tickets", method, "/one", None, body=b"1" if method == "POST" else None).status == 200
    body = b"2" if method == "POST" else None
    if sent_again:
        assert client.request("tickets", method, "/two", None, body=body).status == 200
        assert [(number, path) for number, _, path, _, _ in server.seen] == [(1, "/one"), (1, "/two"), (2, "/two")]
    else:
        with pytest.raises(ApiError) as refused:
            client.request("tickets", method, "/two", None, body=body)
        assert refused.value.status == 503 and refused.value.code == "service_unavailable"
        assert [(number, path, sent) for number, _, path, sent, _ in server.seen] == [(1, "/one", b"1"),
                                                                                      (1, "/two", b"2")]
    # The connection after it serves the next requests.
    assert client.request("tickets", "GET", "/three", None).status == 200
    assert server.seen[-1][0] == 2


def test_a_stream_comes_as_it_is_sent_on_a_connection_of_its_own(service):
    server, client = service()
    assert client.request("tickets", "GET", "/before", None).status == 200
    answer = client.request("tickets", "GET", "/stream", None, stream=True)
    assert answer.status == 200 and ("Content-Type", "text/event-stream") in answer.headers
    assert b"".join(answer.chunks) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert server.connections == 2
    assert client.request("tickets", "GET", "/after", None).status == 200
    assert [number for number, *_ in server.seen] == [1, 2, 1]


def test_a_query_goes_as_the_client_sent_it_with_what_http_forbids_escaped(service):
    server, client = service()
    raw = b"q=caf\xc3\xa9 au lait&tag=a%2Fb&x=1+2".decode("latin-1")  # as a WSGI QUERY_STRING carries it
    assert client.request("tickets", "GET", "/api/v1/help/articles", None, query=raw).status == 200
    assert server.seen[-1][2] == "/api/v1/help/articles?q=caf%C3%A9%20au%20lait&tag=a%2Fb&x=1+2"
