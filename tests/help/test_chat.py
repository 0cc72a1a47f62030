"""The live chat on the tickets service: the helper's answers, the handover to a ticket with the
whole transcript, the agent's replies seen in the chat, guests with a chat token, the live stream."""
import json

from services.tickets.chat.models import Chat, ChatMessage
from services.tickets.core.models import Message, Ticket
from services.tickets.models import OutboxMessage
from tests.help.conftest import As
from tests.support import agent


def start(who, message, **extra):
    response = who.post("/api/v1/chats", json={"message": message, **extra})
    assert response.status_code == 201, response.json
    return response.json


def say(who, chat_id, body):
    response = who.post(f"/api/v1/chats/{chat_id}/messages", json={"body": body})
    assert response.status_code == 201, response.json
    return response.json["chat"]


def test_the_helper_answers_from_the_help_center(people):
    chat = start(people.alice, "How do I join a video call with support?")["chat"]
    assert chat["status"] == "bot" and chat["ticket_number"] is None
    person, helper = chat["messages"]
    assert person["author"]["role"] == "customer" and person["body"] == "How do I join a video call with support?"
    assert helper["author"]["role"] == "bot"
    video_article = {"slug": "join-video-call", "title": "How do I join a video call with customer support?"}
    assert helper["articles"] == [video_article] and helper["article"] == video_article
    assert helper["answer"] and helper["body"].startswith(helper["answer"])

    spanish = say(people.alice, chat["id"], "¿Cómo funciona el programa de referidos?")
    answer = spanish["messages"][-1]
    assert answer["articles"][0]["slug"] == "referral-program"
    assert answer["body"].endswith("escribe \u201chablar con un agente\u201d.")
    assert spanish["status"] == "bot" and not Ticket.select().exists()


def test_no_good_answer_twice_hands_over_with_the_whole_transcript(people):
    chat = start(people.alice, "How are trading fees calculated?")["chat"]
    first_miss = say(people.alice, chat["id"], "my cat walked across the keyboard")
    assert first_miss["status"] == "bot" and first_miss["messages"][-1]["articles"] == []
    handed = say(people.alice, chat["id"], "the purple elephant sings loudly")
    assert handed["status"] == "waiting_agent" and handed["ticket_number"]

    ticket = Ticket.get(Ticket.number == handed["ticket_number"])
    assert (ticket.channel, ticket.requester_kind, ticket.requester_user_id) == ("chat", "user", 1)
    assert ticket.category == "trading_fees_limits"  # from the article the helper offered
    assert ticket.description == "How are trading fees calculated?"
    seen_by_agent = people.support.get(f"/api/v1/agent/tickets/{ticket.number}").json
    transcript = [(m["author"]["role"], m["body"].split("\n")[0]) for m in seen_by_agent["messages"]]
    assert transcript[:6] == [
        ("customer", "How are trading fees calculated?"),
        ("bot", "Each trade pays a fee: the value of the filled order multiplied by your fee rate. Which rate "
                "applies depends on how your order was filled and on your fee tier."),
        ("customer", "my cat walked across the keyboard"),
        ("bot", "I couldn't find an article that answers this. Could you describe it in other words, for "
                "example what you were doing and what went wrong? You can also ask to talk to an agent."),
        ("customer", "the purple elephant sings loudly"),
        ("bot", f"I couldn't find an answer, so I'm connecting you with a support agent. This conversation is "
                f"now ticket {ticket.number}; an agent will answer here, and you keep the ticket afterwards."),
    ]
    assert transcript[6][0] == "system"
    assert [t["number"] for t in people.alice.get("/api/v1/tickets").json["items"]] == [ticket.number]
    events = [row.event_type for row in OutboxMessage.select()]
    assert events.count("ticket.created.v1") == 1 and "ticket.message_added.v1" not in events
    assert json.loads(OutboxMessage.get().payload)["data"]["channel"] == "chat"


def test_talk_to_an_agent_then_the_agent_answers_in_the_chat(people):
    chat_id = start(people.alice, "How do I join a video call?")["chat"]["id"]
    handed = people.alice.post(f"/api/v1/chats/{chat_id}/handover")
    assert handed.status_code == 200 and handed.json["chat"]["status"] == "waiting_agent"
    number = handed.json["chat"]["ticket_number"]
    assert Ticket.get(Ticket.number == number).category == "video_verification"
    again = people.alice.post(f"/api/v1/chats/{chat_id}/handover")
    assert again.json["chat"]["ticket_number"] == number and Ticket.select().count() == 1

    support = people.support
    assert support.post(f"/api/v1/agent/tickets/{number}/messages",
                        json={"body": "Checking the booking", "kind": "note"}).status_code == 201
    assert support.post(f"/api/v1/agent/tickets/{number}/messages",
                        json={"body": "Hi Alice, I have proposed two slots for today."}).status_code == 201
    chat = people.alice.get(f"/api/v1/chats/{chat_id}").json
    assert chat["status"] == "with_agent"
    bodies = [m["body"] for m in chat["messages"]]
    assert "Hi Alice, I have proposed two slots for today." in bodies and "Checking the booking" not in bodies
    assert chat["messages"][-1]["author"]["role"] == "agent" and chat["messages"][-1]["id"].startswith("t")

    after = say(people.alice, chat_id, "Thanks, I booked the 15:00 slot")
    assert after["messages"][-1]["body"] == "Thanks, I booked the 15:00 slot" and after["status"] == "with_agent"
    ticket_view = support.get(f"/api/v1/agent/tickets/{number}").json
    assert ticket_view["messages"][-1]["body"] == "Thanks, I booked the 15:00 slot"
    assert ticket_view["messages"][-1]["author"]["role"] == "customer"

    assert support.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    assert people.alice.get(f"/api/v1/chats/{chat_id}").json["status"] == "closed"
    assert people.alice.get(f"/api/v1/tickets/{number}").json["status"] == "resolved"


def test_asking_for_an_agent_in_any_language_hands_over(people):
    for phrase in ("I want to talk to an agent please", "Quiero hablar con un agente", "請幫我轉真人客服"):
        chat = start(people.alice, phrase)["chat"]
        assert chat["status"] == "waiting_agent" and chat["ticket_number"], phrase
        assert Ticket.get(Ticket.number == chat["ticket_number"]).category == "other"
    assert Ticket.select().where(Ticket.channel == "chat").count() == 3


def test_a_guest_chats_with_the_chat_token(people):
    refused = people.anonymous.post("/api/v1/chats", json={"message": "My deposit has not arrived"})
    assert refused.status_code == 400 and "email" in refused.json["error"]["details"]["fields"]
    created = start(people.anonymous, "My deposit has not arrived", email="Gina@Example.com")
    chat_id = created["chat"]["id"]
    assert created["_guest_grant"] == {"email": "gina@example.com", "scope": {"chat": chat_id},
                                       "ttl_seconds": 86400, "field": "chat_token", "cookie": False}
    assert created["chat"]["messages"][1]["articles"][0]["slug"] == "deposit-not-credited"

    gina = people.guest("gina@example.com", chat_id)
    assert gina.get(f"/api/v1/chats/{chat_id}").status_code == 200
    for stranger in (people.guest("eve@example.com", chat_id), people.guest("gina@example.com", "0" * 32),
                     people.alice, people.support):
        assert stranger.get(f"/api/v1/chats/{chat_id}").status_code == 404
        assert stranger.post(f"/api/v1/chats/{chat_id}/handover").status_code == 404
    anonymous = people.anonymous.get(f"/api/v1/chats/{chat_id}")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "not_authenticated"

    number = gina.post(f"/api/v1/chats/{chat_id}/handover").json["chat"]["ticket_number"]
    ticket = Ticket.get(Ticket.number == number)
    assert (ticket.requester_kind, ticket.requester_email, ticket.category) == ("guest", "gina@example.com",
                                                                                "deposit_withdrawal")
    people.support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Please send the TXID."})
    assert gina.get(f"/api/v1/chats/{chat_id}").json["messages"][-1]["body"] == "Please send the TXID."
    said = say(gina, chat_id, "TXID 0xabc123")
    assert said["messages"][-1]["author"]["role"] == "guest"
    # The chat token opens the chat, not the ticket's own pages.
    assert gina.get(f"/api/v1/tickets/{number}").status_code == 404


def test_bad_input_is_refused_and_changes_nothing(people):
    for body in ({}, {"message": ""}, {"message": " \n "}, {"message": "x" * 4001}, {"message": "hi", "email": "not-an-email"},
                 {"message": "hi", "locale": "fr"}, {"message": "hi", "extra": True}):
        response = people.alice.post("/api/v1/chats", json=body)
        assert response.status_code == 400, (body, response.json)
        assert response.json["error"]["code"] == "validation_error"
    assert people.alice.post("/api/v1/chats", data="message=hi",
                             content_type="application/x-www-form-urlencoded").status_code == 415
    assert people.support.post("/api/v1/chats", json={"message": "hi"}).status_code == 403
    assert not Chat.select().exists()

    chat_id = start(people.alice, "How are trading fees calculated?")["chat"]["id"]
    before = ChatMessage.select().count()
    for body in ({}, {"body": ""}, {"body": "   "}, {"body": "x" * 4001}):
        assert people.alice.post(f"/api/v1/chats/{chat_id}/messages", json=body).status_code == 400
    for bad_id in ("nope", "0" * 32, "../tickets"):
        assert people.alice.get(f"/api/v1/chats/{bad_id}").status_code == 404
    assert people.alice.get(f"/api/v1/chats/{chat_id}/stream", query_string={"after": "x1"}).status_code == 400
    assert ChatMessage.select().count() == before

    assert people.alice.post(f"/api/v1/chats/{chat_id}/close").json["chat"]["status"] == "closed"
    closed = people.alice.post(f"/api/v1/chats/{chat_id}/messages", json={"body": "hello?"})
    assert closed.status_code == 409 and closed.json["error"]["code"] == "chat_closed"
    assert people.alice.post(f"/api/v1/chats/{chat_id}/handover").status_code == 409
    assert ChatMessage.select().count() == before and not Ticket.select().exists()


def read_events(response, wanted: int) -> list[tuple[str, dict, str | None]]:
    """Read `text/event-stream` chunks until `wanted` events have come (or the stream ends)."""
    events, buffer = [], ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if "event" in fields:
                events.append((fields["event"], json.loads(fields["data"]), fields.get("id")))
        if len(events) >= wanted:
            break
    response.close()
    return events


def test_the_stream_sends_messages_and_status_and_resumes(people):
    chat_id = start(people.alice, "How do I join a video call?")["chat"]["id"]
    stream = people.alice.get(f"/api/v1/chats/{chat_id}/stream", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    events = read_events(stream, 3)
    assert [(kind, data.get("author", {}).get("role") or data.get("status")) for kind, data, _ in events] == [
        ("message", "customer"), ("message", "bot"), ("status", "bot")]
    last_id = events[1][2]

    number = people.alice.post(f"/api/v1/chats/{chat_id}/handover").json["chat"]["ticket_number"]
    people.support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Hello from support"})
    resumed = people.alice.get(f"/api/v1/chats/{chat_id}/stream", headers={"Last-Event-ID": last_id}, buffered=False)
    events = read_events(resumed, 3)
    kinds = [(kind, data.get("body", data.get("status"))) for kind, data, _ in events]
    assert kinds[0][0] == "message" and kinds[0][1].startswith("I'm connecting you with a support agent")
    assert kinds[1] == ("message", "Hello from support")
    assert kinds[2] == ("status", "with_agent")


def test_agents_see_handed_over_chats_they_may_see(people, app):
    chat_id = start(people.alice, "talk to an agent")["chat"]["id"]
    number = Chat.get_by_id(chat_id).ticket.number
    listed = people.support.get("/api/v1/agent/chats", query_string={"ticket_number": number}).json["items"]
    assert [c["id"] for c in listed] == [chat_id]
    assert people.support.get(f"/api/v1/agent/chats/{chat_id}").json["ticket_number"] == number
    stream = people.support.get(f"/api/v1/agent/chats/{chat_id}/stream", buffered=False)
    assert read_events(stream, 1)[0][1]["body"] == "talk to an agent"

    Ticket.update(department="compliance").where(Ticket.number == number).execute()
    outsider = As(app.test_client(), agent(901, department="payments"))
    assert outsider.get(f"/api/v1/agent/chats/{chat_id}").status_code == 404
    assert outsider.get("/api/v1/agent/chats").json["items"] == []
    assert people.alice.get("/api/v1/agent/chats").status_code == 403
    unhanded = start(people.bob, "How are trading fees calculated?")["chat"]["id"]
    assert people.support.get(f"/api/v1/agent/chats/{unhanded}").status_code == 404
    assert Message.select().where(Message.body == "talk to an agent").count() == 1


def test_a_chat_whose_ticket_was_merged_follows_it_into_the_other_ticket(people):
    chat_id = start(people.alice, "talk to an agent")["chat"]["id"]
    number = people.alice.get(f"/api/v1/chats/{chat_id}").json["ticket_number"]
    other = people.alice.post("/api/v1/tickets", json={
        "subject": "Withdrawal pending", "category": "wallet", "description": "My BTC withdrawal is pending."})
    assert other.status_code == 201, other.json
    into = other.json["ticket"]["number"]
    assert people.support.post(f"/api/v1/agent/tickets/{number}/merge", json={"into": into}).status_code == 200

    chat = people.alice.get(f"/api/v1/chats/{chat_id}").json
    assert (chat["status"], chat["ticket_number"]) == ("waiting_agent", into)
    assert any("merged into ticket " + into in m["body"] for m in chat["messages"])
    after = say(people.alice, chat_id, "Still waiting for the withdrawal")
    assert after["status"] == "waiting_agent" and after["messages"][-1]["body"] == "Still waiting for the withdrawal"
    target = people.support.get(f"/api/v1/agent/tickets/{into}").json
    assert target["messages"][-1]["body"] == "Still waiting for the withdrawal"

    assert people.support.post(f"/api/v1/agent/tickets/{into}/messages",
                               json={"body": "Your withdrawal has left our wallet."}).status_code == 201
    chat = people.alice.get(f"/api/v1/chats/{chat_id}").json
    assert chat["status"] == "with_agent" and chat["messages"][-1]["body"] == "Your withdrawal has left our wallet."
    assert people.support.post(f"/api/v1/agent/tickets/{into}/resolve").status_code == 200
    assert people.alice.get(f"/api/v1/chats/{chat_id}").json["status"] == "closed"
