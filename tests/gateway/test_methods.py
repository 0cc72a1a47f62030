"""A method a path does not take is 405 with `Allow`, on the gateway's own paths too; OPTIONS
says what the path takes."""
from tests.gateway.test_forwarding import tickets_url, wired  # noqa: F401 - fixtures


def test_the_gateways_own_path_with_another_method_is_405_with_allow(client):
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
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
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_options_on_a_services_path_is_the_services_answer(wired):
    _, client, _ = wired
    response = client.options("/api/v1/tickets")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert set(client.options("/api/v1/help/articles/some-slug").headers["Allow"].split(", ")) == {
        "GET", "HEAD", "OPTIONS"}
