"""Issue 3 end to end, through the gateway, against the product started as `make run` starts it,
with RabbitMQ and an SMTP server of the test's own."""
import re
import uuid

import pytest

from tests.e2e.harness import Client, create_agent, register_and_login, start_product, wait_for
from tests.notifications.support import Broker, SmtpServer, SseClient, html_part, plain_part

pytestmark = [pytest.mark.e2e, pytest.mark.rabbitmq]

SECRET_REPLY = "Your withdrawal 0xCAFE was held by compliance check 7731"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def product(tmp_path_factory, smtp):
    broker = Broker()
    running = start_product(tmp_path_factory.mktemp("notifications-product"), {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "AMQP_URL": broker.url})
    yield running
    running.stop()
    Broker(exchange=running.env["EVENT_EXCHANGE"], prefix=running.env["QUEUE_PREFIX"]).cleanup()


@pytest.fixture(scope="module")
def agent(product):
    return create_agent(product)


def emails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m["To"] == address]


def inbox(client: Client) -> dict:
    response = client.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    return response.json()


def open_ticket(client: Client) -> str:
    created = client.post("/api/v1/tickets", json={"subject": "Withdrawal on hold", "category": "deposit_withdrawal",
                                                   "description": "My withdrawal is pending for two days."})
    assert created.status_code == 201, created.text
    return created.json()["ticket"]["number"]


def reply(agent: Client, number: str, body: str = SECRET_REPLY, kind: str = "reply") -> None:
    response = agent.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": body, "kind": kind})
    assert response.status_code == 201, response.text


def test_agent_reply_gives_one_inbox_item_one_alert_email_and_a_live_event(product, smtp, agent):
    alice = register_and_login(product, f"alice-{uuid.uuid4().hex[:6]}@example.com", locale="en")
    stream = SseClient(product.url("/api/v1/notifications/stream"), {"Authorization": f"Bearer {alice.token}"})
    try:
        assert stream.status_code == 200
        assert stream.next(kind="comment")["comment"] == "connected"
        number = open_ticket(alice)
        reply(agent, number)
        live = stream.next(kind="notification", timeout=10)
    finally:
        stream.close()
    [item] = wait_for(lambda: inbox(alice)["items"], message="the inbox item")
    assert live["data"] == item
    assert item["link"] == f"{product.base_url}/support/tickets/{number}"
    assert item["title"] == f"Support replied on ticket {number}" and item["read_at"] is None
    [email] = wait_for(lambda: emails_to(smtp, alice.email), message="the email")
    assert email["Subject"] == f"Your support ticket {number} was updated"
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["From"].endswith("<no-reply@127.0.0.1>")
    text, html = plain_part(email), html_part(email)
    assert f"/support/tickets/{number}" in text and f"/support/tickets/{number}" in html
    assert "compliance" not in text + html and "0xCAFE" not in text + html

    # Wait and count: a later activity has gone through, and still one of each.
    reply(agent, number, "Resolved on our side.", kind="info_request")
    wait_for(lambda: len(inbox(alice)["items"]) == 2, message="the second item")
    wait_for(lambda: len(emails_to(smtp, alice.email)) == 2, message="the second email")
    body = inbox(alice)
    assert body["unread_count"] == 2
    assert len({i["id"] for i in body["items"]}) == 2
    assert alice.post(f"/api/v1/notifications/{item['id']}/read").status_code == 200
    assert inbox(alice)["unread_count"] == 1


def test_spanish_customer_gets_the_spanish_email(product, smtp, agent):
    maria = register_and_login(product, f"maria-{uuid.uuid4().hex[:6]}@example.com", locale="es")
    number = open_ticket(maria)
    reply(agent, number)
    [email] = wait_for(lambda: emails_to(smtp, maria.email), message="the email")
    assert email["Subject"] == f"Se actualizó tu ticket de ayuda {number}"
    assert "Ver tu ticket" in plain_part(email) and SECRET_REPLY not in plain_part(email)
    [item] = wait_for(lambda: inbox(maria)["items"], message="the inbox item")
    assert item["title"] == f"Servicio al cliente respondió en el ticket {number}"


def test_push_off_stops_inbox_items_but_not_emails(product, smtp, agent):
    bob = register_and_login(product, f"bob-{uuid.uuid4().hex[:6]}@example.com")
    changed = bob.put("/api/v1/notification-preferences", json={"push": {"ticket_updates": False}})
    assert changed.status_code == 200 and changed.json()["push"]["ticket_updates"] is False
    number = open_ticket(bob)
    reply(agent, number)
    wait_for(lambda: emails_to(smtp, bob.email), message="the email")
    assert agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    wait_for(lambda: len(emails_to(smtp, bob.email)) == 2, message="the resolution email")
    assert [m["Subject"] for m in emails_to(smtp, bob.email)] == [
        f"Your support ticket {number} was updated", f"Your support ticket {number} was resolved"]
    assert inbox(bob) == {"items": [], "unread_count": 0, "next_cursor": None}


def test_guest_gets_a_link_then_a_code_that_opens_the_ticket(product, smtp, agent):
    address = f"guest-{uuid.uuid4().hex[:6]}@example.com"
    created = Client(product).post("/api/v1/guest/tickets", json={
        "email": address, "subject": "Cannot log in", "category": "account_security",
        "description": "I lost my phone with the authenticator."})
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    [welcome] = wait_for(lambda: emails_to(smtp, address), message="the guest's link email")
    link = re.search(rf"{re.escape(product.base_url)}/support/tickets/{number}\?t=\S+", plain_part(welcome)).group(0)
    token = link.split("?t=")[1]
    sent = Client(product).post(f"/api/v1/guest/tickets/{number}/verification-code", json={"t": token})
    assert sent.status_code == 202, sent.text
    code_email = wait_for(lambda: emails_to(smtp, address)[1:], message="the code email")[0]
    code = re.search(r"\b(\d{6})\b", plain_part(code_email)).group(1)
    session = Client(product).post(f"/api/v1/guest/tickets/{number}/session", json={"t": token, "code": code})
    assert session.status_code == 200, session.text
    guest = Client(product, session.json()["guest_token"])
    assert guest.get(f"/api/v1/tickets/{number}").status_code == 200
    reply(agent, number)
    update = wait_for(lambda: emails_to(smtp, address)[2:], message="the update email")[0]
    assert update["Subject"] == f"Your support ticket {number} was updated"
    fresh = re.search(rf"/support/tickets/{number}\?t=\S+", plain_part(update))
    assert fresh and SECRET_REPLY not in plain_part(update)
    assert guest.get("/api/v1/notifications").status_code in (401, 403)  # guests have no inbox


def test_the_anti_phishing_code_set_at_the_gateway_is_in_the_accounts_emails(product, smtp, agent):
    nina = register_and_login(product, f"nina-{uuid.uuid4().hex[:6]}@example.com")
    changed = nina.put("/api/v1/me/anti-phishing-code", json={"code": "N1naCode7"})
    assert changed.status_code == 200, changed.text
    number = open_ticket(nina)
    reply(agent, number)
    [email] = wait_for(lambda: emails_to(smtp, nina.email), message="the email")
    assert plain_part(email).splitlines()[0] == "Your anti-phishing code: N1naCode7"
    assert "Your anti-phishing code: N1naCode7" in html_part(email)
    assert "Support will never ask for your password" in plain_part(email)
    assert all("N1naCode7" not in plain_part(m) for m in smtp.messages if m["To"] != nina.email)


@pytest.mark.parametrize("start, switched, title, subject", [
    ("en", "es", "Servicio al cliente respondió en el ticket {}", "Se resolvió tu ticket de ayuda {}"),
    ("es", "zh-Hant", "客服已回覆工單 {}", "您的客服工單 {} 已解決"),
])
def test_the_accounts_language_switched_at_the_gateway_speaks_its_notices(product, smtp, agent, start, switched,
                                                                            title, subject):
    lena = register_and_login(product, f"lena-{uuid.uuid4().hex[:6]}@example.com", locale=start)
    refused = lena.put("/api/v1/me", json={"locale": "fr"})
    assert refused.status_code == 400 and "locale" in refused.json()["error"]["details"]["fields"]
    changed = lena.put("/api/v1/me", json={"locale": switched})
    assert changed.status_code == 200 and changed.json()["user"]["locale"] == switched
    assert lena.get("/api/v1/me").json()["user"]["locale"] == switched
    number = open_ticket(lena)
    reply(agent, number)
    # The inbox follows the account's events in order: its first item already speaks the new language.
    [item] = wait_for(lambda: inbox(lena)["items"], message="the inbox item")
    assert item["title"] == title.format(number)
    assert agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    resolved = wait_for(lambda: [m for m in emails_to(smtp, lena.email) if number in m["Subject"]
                                 and m["Subject"] == subject.format(number)], message="the resolution email")
    assert resolved[0]["Content-Language"] == switched
