"""Every list of the tickets service pages with the shared keyset paginator: the
customer's tickets, the agents' queue, the handed-over chats and the editors' articles
come whole and once each, in their order; a cursor no list made, or an unknown
argument, is 400 naming it."""
import pytest

from shared.pagination import encode_cursor
from tests.tickets.conftest import new_ticket


def every_page(who, path, limit, **query) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        response = who.get(path, query_string=params)
        assert response.status_code == 200, response.json
        pages.append(response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages


def test_the_customers_list_pages_newest_activity_first(alice, bob):
    numbers = [new_ticket(alice, subject=f"Question {n}")["number"] for n in range(5)]
    new_ticket(bob)
    alice.post(f"/api/v1/tickets/{numbers[0]}/messages", json={"body": "Any news?"})  # the newest activity now

    pages = every_page(alice, "/api/v1/tickets", 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [t["number"] for page in pages for t in page] == [numbers[0], *reversed(numbers[1:])]


def test_the_agents_queue_pages_oldest_activity_first_with_its_filters(alice, support):
    numbers = [new_ticket(alice, subject=f"Question {n}")["number"] for n in range(5)]
    support.post(f"/api/v1/agent/tickets/{numbers[1]}/messages", json={"body": "Details?", "kind": "info_request"})

    everything = [t["number"] for page in every_page(support, "/api/v1/agent/tickets", 2) for t in page]
    assert everything == [numbers[0], *numbers[2:], numbers[1]]
    waiting = every_page(support, "/api/v1/agent/tickets", 2, status="awaiting_user")
    assert [[t["number"] for t in page] for page in waiting] == [[numbers[1]]]


def test_handed_over_chats_page_latest_handover_first(alice, support):
    numbers = []
    for _ in range(3):
        chat = alice.post("/api/v1/chats", json={"message": "talk to an agent"}).json["chat"]
        numbers.append(chat["ticket_number"])

    pages = every_page(support, "/api/v1/agent/chats", 2)
    assert [[c["ticket_number"] for c in page] for page in pages] == [numbers[:0:-1], numbers[:1]]


def test_the_editors_list_pages_by_category_and_slug(support):
    pages = every_page(support, "/api/v1/agent/help/articles", 5)
    listed = [(a["category"], a["slug"]) for page in pages for a in page]
    assert len(listed) > 10 and listed == sorted(set(listed))
    assert all(len(page) == 5 for page in pages[:-1])


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/agent/tickets", "/api/v1/agent/chats",
                                  "/api/v1/agent/help/articles"])
@pytest.mark.parametrize("cursor", ["abc", encode_cursor([7]), encode_cursor(["x", "y", "z"]), "x" * 201])
def test_a_cursor_no_list_made_is_400_naming_it(alice, support, path, cursor):
    who = alice if path == "/api/v1/tickets" else support
    response = who.get(path, query_string={"cursor": cursor})
    assert response.status_code == 400, response.json
    assert "cursor" in response.json["error"]["details"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/agent/tickets", "/api/v1/agent/chats"])
def test_unknown_or_bad_arguments_are_400_naming_them(alice, support, path):
    who = alice if path == "/api/v1/tickets" else support
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"sort_by": "due"}, "sort_by")):
        response = who.get(path, query_string=params)
        assert response.status_code == 400, (params, response.json)
        assert response.json["error"]["code"] == "validation_error" and field in response.json["error"]["details"]["fields"]


def test_the_lists_document_their_arguments(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/tickets", "/api/v1/agent/tickets", "/api/v1/agent/chats", "/api/v1/agent/help/articles",
                 "/api/v1/help/articles", "/api/v1/help/suggestions"):
        names = {p["name"] for p in paths[path]["get"]["parameters"] if p["in"] == "query"}
        assert {"limit"} <= names, (path, names)
        assert "400" in paths[path]["get"]["responses"], path
    stream = paths["/api/v1/chats/{chat_id}/stream"]["get"]
    assert "after" in {p["name"] for p in stream["parameters"]}
