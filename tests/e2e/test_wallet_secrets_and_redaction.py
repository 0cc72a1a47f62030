"""Through the gateway, as the web page and the app call it: a reply holding a recovery
phrase is refused and kept nowhere; an agent's redaction reaches the customer and
deletes the message's files from disk."""
import pytest

from tests.e2e.harness import create_agent, register_and_login, wait_for
from tests.support import png_bytes

pytestmark = pytest.mark.e2e

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def open_ticket(customer):
    created = customer.post("/api/v1/tickets", json={
        "subject": "Wallet access", "category": "wallet", "description": "I cannot open my wallet."})
    assert created.status_code == 201, created.text
    return created.json()["ticket"]["number"]


def test_a_reply_with_a_recovery_phrase_is_refused_and_kept_nowhere(product):
    alice = register_and_login(product)
    number = open_ticket(alice)
    before = alice.get(f"/api/v1/tickets/{number}").json()

    refused = alice.post(f"/api/v1/tickets/{number}/messages", json={"body": f"My words: {PHRASE}"})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "secret_detected"
    assert error["details"]["kinds"] == ["recovery_phrase"]
    assert "sausage" not in refused.text

    assert alice.get(f"/api/v1/tickets/{number}").json() == before
    # Logs are unbuffered: by the time a later request is answered, the refused one's lines are written.
    assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Any news?"}).status_code == 201
    wait_for(lambda: "Any news?" in str(alice.get(f"/api/v1/tickets/{number}").json()), message="the later reply")
    assert "sausage" not in product.logs()


def attachment_files(product) -> set:
    return {path for path in (product.data_dir / "attachments").rglob("*") if path.is_file()}


def test_a_redacted_message_reads_redacted_and_its_file_is_gone(product):
    alice = register_and_login(product)
    number = open_ticket(alice)
    on_disk_before = attachment_files(product)
    sent = alice.post(f"/api/v1/tickets/{number}/messages", data={"body": "My card is 4111 1111 1111 1111"},
                      files=[("files", ("card.png", png_bytes(4, 4), "image/png"))])
    assert sent.status_code == 201, sent.text
    message = sent.json()["message"]
    url = message["attachments"][0]["url"]
    [stored] = attachment_files(product) - on_disk_before
    assert alice.get(url).content == png_bytes(4, 4)

    agent = create_agent(product)
    redacted = agent.post(f"/api/v1/agent/tickets/{number}/messages/{message['id']}/redaction",
                          json={"reason": "card number"})
    assert redacted.status_code == 200, redacted.text
    assert redacted.json()["message"]["body"] == "[redacted]"

    seen = alice.get(f"/api/v1/tickets/{number}").json()
    mine = next(m for m in seen["messages"] if m["id"] == message["id"])
    assert (mine["body"], mine["attachments"], mine["redacted"]) == ("[redacted]", [], True)
    assert "4111" not in str(seen) and "card number" not in str(seen)
    assert alice.get(url).status_code == 404
    assert agent.get(url).status_code == 404
    assert not stored.exists()

    again = agent.post(f"/api/v1/agent/tickets/{number}/messages/{message['id']}/redaction",
                       json={"reason": "card number"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_redacted"
