"""The help center and the live chat end to end, through the gateway of a product started like `make run`."""
import json
import subprocess
import sys
import uuid

import pytest
import requests

from tests.e2e.harness import ROOT, Client, create_agent, login, register_and_login, start_product, with_2fa

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    running = start_product(tmp_path_factory.mktemp("help-product"), {"CHAT_STREAM_POLL_SECONDS": "0.1"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def agent(product):
    return create_agent(product)


def create_editor(product) -> Client:
    email = f"editor-{uuid.uuid4().hex[:8]}@support.example"
    subprocess.run([sys.executable, "-m", "services.gateway.cli", "create-agent", "--email", email,
                    "--password", "editor password 1", "--editor"],
                   cwd=ROOT, env=product.env, check=True, capture_output=True, timeout=60)
    return with_2fa(login(product, email, "editor password 1"))


class EventStream:
    """A `text/event-stream` read event by event, as a browser's EventSource would."""

    def __init__(self, client: Client, path: str):
        self.response = client.get(path, stream=True, timeout=10)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.lines = self.response.iter_lines(decode_unicode=True)

    def next_event(self) -> tuple[str, dict]:
        fields = {}
        for line in self.lines:
            if not line:
                if "event" in fields:
                    return fields["event"], json.loads(fields["data"])
                fields = {}
            elif not line.startswith(":") and ": " in line:
                key, value = line.split(": ", 1)
                fields[key] = value
        raise AssertionError("the stream ended")

    def until(self, predicate, limit: int = 50) -> dict:
        for _ in range(limit):
            kind, data = self.next_event()
            if kind == "message" and predicate(data):
                return data
        raise AssertionError("the message never came")

    def close(self):
        self.response.close()


def test_search_and_articles_through_the_gateway(product):
    anonymous = Client(product)
    found = anonymous.get("/api/v1/help/articles", params={"q": "¿Cómo me uno a una videollamada?"}).json()
    assert found["items"][0]["slug"] == "join-video-call" and found["items"][0]["locale"] == "es"
    article = anonymous.get("/api/v1/help/articles/referral-program", params={"locale": "zh-Hant"}).json()
    assert article["title"] == "推薦計畫如何運作？"
    suggestions = anonymous.get("/api/v1/help/suggestions",
                                params={"text": "I can't log in, forgot my password"}).json()["items"]
    assert suggestions[0]["slug"] == "login-problems"
    for params in ({"q": "x" * 10_000}, {"q": "fees", "locale": "de"}):
        response = anonymous.get("/api/v1/help/articles", params=params)
        assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_a_chat_the_helper_answers(product):
    alice = register_and_login(product, locale="en")
    created = alice.post("/api/v1/chats", json={"message": "How does the referral program work?"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["chat_token"] is None and body["chat"]["status"] == "bot"
    answer = body["chat"]["messages"][-1]
    assert answer["author"]["role"] == "bot" and answer["articles"][0]["slug"] == "referral-program"
    assert "_guest_grant" not in body


def test_a_chat_handed_over_answered_live_and_kept_as_a_ticket(product, agent):
    alice = register_and_login(product, locale="en")
    chat = alice.post("/api/v1/chats", json={"message": "My withdrawal has been pending for hours"}).json()["chat"]
    assert chat["messages"][-1]["articles"][0]["slug"] == "withdrawal-delayed"
    handed = alice.post(f"/api/v1/chats/{chat['id']}/handover")
    assert handed.status_code == 200 and handed.json()["chat"]["status"] == "waiting_agent"
    number = handed.json()["chat"]["ticket_number"]

    queue = agent.get("/api/v1/agent/tickets", params={"status": "open"}).json()["items"]
    assert {"number": number, "channel": "chat"}.items() <= next(t for t in queue if t["number"] == number).items()
    person_side = EventStream(alice, f"/api/v1/chats/{chat['id']}/stream")
    person_side.until(lambda m: m["body"] == "My withdrawal has been pending for hours")
    agent_side = EventStream(agent, f"/api/v1/agent/chats/{chat['id']}/stream")

    reply = agent.post(f"/api/v1/agent/tickets/{number}/messages",
                       json={"body": "I can see it in the security review; it will be sent within the hour."})
    assert reply.status_code == 201
    live = person_side.until(lambda m: m["author"]["role"] == "agent")
    assert live["body"].startswith("I can see it in the security review")
    assert alice.get(f"/api/v1/chats/{chat['id']}").json()["status"] == "with_agent"

    assert alice.post(f"/api/v1/chats/{chat['id']}/messages", json={"body": "Thank you!"}).status_code == 201
    assert agent_side.until(lambda m: m["body"] == "Thank you!")["author"]["role"] == "customer"
    person_side.close()
    agent_side.close()

    # Afterwards the person keeps the ticket, with the whole transcript.
    assert number in [t["number"] for t in alice.get("/api/v1/tickets").json()["items"]]
    ticket = alice.get(f"/api/v1/tickets/{number}").json()
    roles = [m["author"]["role"] for m in ticket["messages"]]
    assert ticket["channel"] == "chat" and roles[:3] == ["customer", "bot", "bot"]
    assert [m["body"] for m in ticket["messages"]][-2:] == [
        "I can see it in the security review; it will be sent within the hour.", "Thank you!"]


def test_a_guest_chat_with_its_chat_token(product, agent):
    anonymous = Client(product)
    created = anonymous.post("/api/v1/chats", json={"message": "talk to an agent", "email": "gus@example.com"})
    assert created.status_code == 201, created.text
    token, chat = created.json()["chat_token"], created.json()["chat"]
    assert token and "_guest_grant" not in created.json() and "guest_session" not in created.cookies
    assert chat["status"] == "waiting_agent"

    gus = Client(product, token)
    assert gus.get(f"/api/v1/chats/{chat['id']}").status_code == 200
    assert anonymous.get(f"/api/v1/chats/{chat['id']}").status_code == 401
    other = anonymous.post("/api/v1/chats", json={"message": "hello", "email": "ivy@example.com"}).json()
    assert gus.get(f"/api/v1/chats/{other['chat']['id']}").status_code == 404
    assert gus.get("/api/v1/tickets").status_code == 403

    agent.post(f"/api/v1/agent/tickets/{chat['ticket_number']}/messages", json={"body": "Hi Gus, how can I help?"})
    seen = gus.get(f"/api/v1/chats/{chat['id']}").json()
    assert seen["messages"][-1]["body"] == "Hi Gus, how can I help?" and seen["status"] == "with_agent"


def test_editors_publish_through_the_gateway(product, agent):
    article = {"slug": "e2e-staking", "category": "wallet",
               "translations": {"en": {"title": "Can I stake from my funding account?",
                                       "body": "<p>Staking uses the <em>funding account</em>.</p>"}}}
    assert agent.post("/api/v1/agent/help/articles", json=article).status_code == 403
    editor = create_editor(product)
    assert editor.post("/api/v1/agent/help/articles", json=article).status_code == 201
    assert editor.post("/api/v1/agent/help/articles/e2e-staking/publish").status_code == 200
    found = requests.get(product.url("/api/v1/help/articles"), params={"q": "staking"}, timeout=10).json()
    assert found["items"][0]["slug"] == "e2e-staking"
    vote = requests.post(product.url("/api/v1/help/articles/e2e-staking/votes"), json={"helpful": True}, timeout=10)
    assert vote.status_code == 201
    assert agent.get("/api/v1/agent/help/articles/e2e-staking").json()["votes"] == {"helpful": 1, "not_helpful": 0}
