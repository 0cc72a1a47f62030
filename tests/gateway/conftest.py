import threading

import pytest
from werkzeug.serving import make_server

from services.gateway.app import create_app
from services.gateway.extensions import limiter
from services.gateway.models import db
from tests.conftest import close_database
from tests.support import SECRET, free_port

FAST_HASH = {"PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1}


@pytest.fixture
def serve():
    """Serve a WSGI app on a free port in a thread; stopped after the test."""
    servers = []

    def _serve(app) -> str:
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{port}"

    yield _serve
    for server in servers:
        server.shutdown()


@pytest.fixture
def gateway_factory(database_url):
    made = []

    def _make(**overrides):
        config = {"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True, **FAST_HASH,
                  "RATE_LIMIT_REGISTER": "1000/minute", "RATE_LIMIT_LOGIN": "1000/minute",
                  "RATE_LIMIT_LOGIN_PER_EMAIL": "1000/minute", **overrides}
        app = create_app(config)
        limiter.reset()
        made.append(app)
        return app

    yield _make
    close_database(db)


@pytest.fixture
def gateway(gateway_factory):
    return gateway_factory()


@pytest.fixture
def client(gateway):
    return gateway.test_client()


def register(client, email="alice@example.com", password="a long password", **extra):
    response = client.post("/api/v1/auth/register", json={"email": email, "password": password, **extra})
    assert response.status_code == 201, response.json
    return response.json["user"]


def bearer(client, email="alice@example.com", password="a long password"):
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}
