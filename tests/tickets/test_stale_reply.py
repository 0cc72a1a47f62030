"""No two agents answer past each other: a reply sent with `seen_message_id` is refused
with 409 `ticket_changed` when a newer public message arrived, unless `force`.
On the tickets service itself, SQLite and PostgreSQL."""
import threading

from services.tickets.core.models import Message
from tests.support import agent, file_tuple, png_bytes
from tests.tickets.conftest import As, new_ticket


def send(who, number, **body):
    return who.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Checking now.", **body})


def test_a_reply_after_a_new_customer_message_is_refused_with_the_new_messages(alice, support):
    ticket = new_ticket(alice)
    number, seen = ticket["number"], ticket["messages"][0]["id"]
    newer = alice.post(f"/api/v1/tickets/{number}/messages", data={
        "body": "Here is the screenshot", "files": [file_tuple(png_bytes(), "shot.png")]},
        content_type="multipart/form-data").json["message"]
    before = Message.select().count()

    refused = send(support, number, seen_message_id=seen)
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "ticket_changed"
    [shown] = error["details"]["new_messages"]
    assert (shown["id"], shown["body"], shown["author"]["role"]) == (newer["id"], "Here is the screenshot", "customer")
    assert shown["attachments"][0]["url"] == newer["attachments"][0]["url"]
    assert Message.select().count() == before

    assert send(support, number, seen_message_id=newer["id"]).status_code == 201
    assert send(support, number, seen_message_id=seen, force=True).status_code == 201
    assert send(support, number).status_code == 201  # no seen_message_id: no check, as before


def test_notes_and_events_do_not_count_and_a_note_is_never_refused(client, alice, support):
    ticket = new_ticket(alice)
    number, seen = ticket["number"], ticket["messages"][0]["id"]
    carol = As(client, agent(902))
    assert send(carol, number, kind="note", body="I am on it").status_code == 201
    assert support.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200  # a system event
    alice_reopens = alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Still broken"})
    assert alice_reopens.status_code == 201
    later = alice_reopens.json["message"]["id"]
    assert send(support, number, seen_message_id=later).status_code == 201
    # Another agent's reply and request for details are public: they count.
    info = send(carol, number, kind="info_request", body="Which network?", seen_message_id=later)
    assert info.status_code == 409  # support's reply above is newer than what carol saw
    assert [m["author"]["name"] for m in info.json["error"]["details"]["new_messages"]] == ["Agent 900"]
    assert send(support, number, kind="note", body="FYI", seen_message_id=seen).status_code == 201


def test_multipart_replies_are_guarded_too(alice, support):
    ticket = new_ticket(alice)
    number, seen = ticket["number"], ticket["messages"][0]["id"]
    alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "more"})
    form = {"body": "With a file", "seen_message_id": str(seen), "files": [file_tuple(png_bytes(), "a.png")]}
    refused = support.post(f"/api/v1/agent/tickets/{number}/messages", data=form, content_type="multipart/form-data")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "ticket_changed"
    form = {**form, "force": "true", "files": [file_tuple(png_bytes(), "a.png")]}
    sent = support.post(f"/api/v1/agent/tickets/{number}/messages", data=form, content_type="multipart/form-data")
    assert sent.status_code == 201 and len(sent.json["message"]["attachments"]) == 1


def test_a_bad_or_foreign_seen_message_id_is_a_validation_error(alice, bob, support):
    number = new_ticket(alice)["number"]
    foreign = new_ticket(bob)["messages"][0]["id"]
    for seen in (foreign, 10**9, 10**12, 0, -1, "abc", "", 1.5, True, [1]):
        response = send(support, number, seen_message_id=seen)
        assert response.status_code == 400, seen
        assert response.json["error"]["code"] == "validation_error"
        assert "seen_message_id" in response.json["error"]["details"]["fields"]
    response = send(support, number, force="perhaps")
    assert response.status_code == 400 and "force" in response.json["error"]["details"]["fields"]

    # The agents' endpoint stays theirs, with or without the guard's fields.
    assert send(alice, number, seen_message_id=1).status_code == 403
    guest = As(alice.client, {"kind": "guest", "email": "alice@example.com", "name": "g", "scope": {"ticket": number}})
    assert send(guest, number, seen_message_id=1, force=True).status_code == 403
    assert send(support, "99999999", seen_message_id=1).status_code == 404


def test_two_agents_sending_at_once_on_the_same_view_cannot_both_pass(app, alice):
    ticket = new_ticket(alice)
    number, seen = ticket["number"], ticket["messages"][0]["id"]
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def send_as(agent_id):
        who = As(app.test_client(), agent(agent_id))
        barrier.wait()
        answers.append(send(who, number, seen_message_id=seen, body=f"from {agent_id}").status_code)

    threads = [threading.Thread(target=send_as, args=(agent_id,)) for agent_id in (900, 902)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [201, 409]
    assert Message.select().where(Message.body.startswith("from ")).count() == 1
