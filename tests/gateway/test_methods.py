"""A method a path does not take is 405 with `Allow`, on the gateway's own paths too; OPTIONS
says what the path takes."""
import pytest

from services.tickets.app import create_app as create_tickets
from tests.support import SECRET, free_port


@pytest.fixture
def with_tickets(gateway_factory, serve, tmp_path):
    """A gateway whose tickets service runs (the others are down)."""
    tickets = create_tickets({"DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db", "INTERNAL_TOKEN_SECRET": SECRET,
                              "ATTACHMENT_DIR": str(tmp_path / "files")})
    down = {name: f"http://127.0.0.1:{free_port()}" for name in ("notifications", "video", "referrals")}
    return gateway_factory(SERVICE_URLS={"tickets": serve(tickets), **down}).test_client()


def test_the_gateways_own_path_with_another_method_is_405_with_allow(client):
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}
    assert client.delete("/api/v1/auth/register").headers["Allow"] == "OPTIONS, POST"


def test_an_unknown_path_is_still_404(client):
    response = client.put("/api/v1/nothing-here")
    assert response.status_code == 404 and "Allow" not in response.headers


def test_a_method_no_route_takes_says_allow(client):
    response = client.open("/api/v1/me", method="TRACE")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_options_lists_what_the_gateways_own_path_takes(client):
    response = client.options("/api/v1/me")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


def test_options_on_a_services_path_is_the_services_answer(with_tickets):
    client = with_tickets
    response = client.options("/api/v1/tickets")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert set(client.options("/api/v1/help/articles/some-slug").headers["Allow"].split(", ")) == {
        "GET", "HEAD", "OPTIONS"}
