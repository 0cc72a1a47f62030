"""The guest's page `/support/tickets/{number}?t=...` served by the gateway's app in front
of a running tickets service: verify with a code, read, reply; every refusal."""
import datetime as dt
import io
import re

import pytest

from services.tickets.core.models import Message, Ticket
from services.tickets.models import OutboxMessage
from shared import clock
from tests.guest.conftest import GUEST_EMAIL, last_code, link_token
from tests.support import png_bytes


@pytest.fixture
def database_url(tmp_path):
    """What is tested here is the gateway's page; the service's refusals run on both databases elsewhere."""
    return f"sqlite:///{tmp_path}/service.db"


@pytest.fixture
def stack(make_stack):
    return make_stack()


@pytest.fixture
def page(stack):
    client = stack.client()
    created = client.post("/api/v1/guest/tickets", json={
        "email": GUEST_EMAIL, "subject": "Card payment failed", "category": "deposit_withdrawal",
        "description": "My card payment failed twice.", "locale": "es"})
    assert created.status_code == 201
    number = created.json["number"]
    return client, number, link_token(number)


def csrf(client) -> str:
    return client.get_cookie("csrf_token").value


def text(response) -> str:
    return response.get_data(as_text=True)


def send_code(client, number, t, **form):
    return client.post(f"/support/tickets/{number}?t={t}",
                       data={"step": "send_code", "csrf_token": csrf(client), **form})


def enter_code(client, number, t, code, **form):
    return client.post(f"/support/tickets/{number}?t={t}",
                       data={"step": "verify", "code": code, "csrf_token": csrf(client), **form})


def verify(client, number, t):
    client.get(f"/support/tickets/{number}?t={t}")
    assert send_code(client, number, t).status_code == 200
    return enter_code(client, number, t, last_code(number))


def test_send_code_enter_it_read_and_reply_with_a_png(page):
    client, number, t = page
    first = client.get(f"/support/tickets/{number}?t={t}", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert first.status_code == 200 and first.mimetype == "text/html"
    body = text(first)
    assert 'id="send-code-form"' in body and '<label for="code">' in body and 'name="viewport"' in body
    assert not re.search(r"""(src|href)=["']https?://""", body), "the page loads nothing from outside"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert first.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in first.headers["Content-Security-Policy"]
    assert client.get("/ui/static/js/pages/guest_ticket.js").status_code == 200

    assert t not in body, "the page never writes the link's token into its HTML"
    sent = send_code(client, number, t)
    assert sent.status_code == 200 and 'id="notice"' in text(sent)
    wrong = f"{(int(last_code(number)) + 1) % 1_000_000:06d}"
    refused = enter_code(client, number, t, wrong)
    assert refused.status_code == 400 and 'data-code="invalid_code"' in text(refused)
    assert "Tries left: 4" in text(refused)

    assert t not in text(sent) + text(refused) and last_code(number) not in text(sent) + text(refused)
    opened = enter_code(client, number, t, last_code(number))
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/support/tickets/{number}", "the token leaves the address bar"
    assert client.get_cookie("guest_session").value.startswith("g.")
    ticket_page = client.get(f"/support/tickets/{number}")
    body = text(ticket_page)
    assert ticket_page.status_code == 200 and 'data-verified="true"' in body
    assert "My card payment failed twice." in body and 'lang="es"' in body  # the ticket's language
    assert "Esperando a soporte" in body  # the site's own status words

    replied = client.post(f"/support/tickets/{number}/reply", data={
        "body": "Here is the receipt", "csrf_token": csrf(client),
        "files": [(io.BytesIO(png_bytes(5, 5)), "receipt.png"), (io.BytesIO(b""), "")]},
        content_type="multipart/form-data")
    assert replied.status_code == 303 and replied.headers["Location"].startswith(f"/support/tickets/{number}?")
    after = text(client.get(replied.headers["Location"]))
    assert "Here is the receipt" in after and 'id="reply-sent"' in after
    link = re.search(r'href="(/api/v1/attachments/[^"]+)" download="receipt.png"', after).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == png_bytes(5, 5)
    message = Message.select().where(Message.body == "Here is the receipt").get()
    assert message.author_role == "guest" and Ticket.get(Ticket.number == number).status == "open"


def test_forms_without_the_csrf_token_change_nothing(page):
    client, number, t = page
    client.get(f"/support/tickets/{number}?t={t}")
    refused = client.post(f"/support/tickets/{number}?t={t}", data={"step": "send_code"})
    assert refused.status_code == 403
    assert not OutboxMessage.select().where(OutboxMessage.event_type == "guest.verification_requested.v1").exists()
    assert verify(client, number, t).status_code == 303
    before = Message.select().count()
    forged = client.post(f"/support/tickets/{number}/reply", data={"body": "forged", "csrf_token": "wrong"},
                         content_type="multipart/form-data")
    assert forged.status_code == 403 and Message.select().count() == before
    assert "forged" in text(forged)  # the draft is kept for another try


def test_link_refusals_are_explained(page, stack):
    client, number, t = page
    tampered = client.get(f"/support/tickets/{number}?t={t[:-3]}xyz")
    assert tampered.status_code == 403 and 'data-code="invalid_link"' in text(tampered)
    other = stack.client().post("/api/v1/guest/tickets", json={
        "email": "other@example.com", "subject": "Other problem", "category": "other", "description": "x"})
    on_other = client.get(f"/support/tickets/{other.json['number']}?t={t}")
    assert on_other.status_code == 403
    missing = client.get(f"/support/tickets/{number}")
    assert missing.status_code == 400 and 'data-code="missing_link"' in text(missing)
    assert client.get("/support/tickets/..%2F..%2Fapi").status_code == 404
    clock.clock.advance(dt.timedelta(days=30, seconds=1))
    expired = client.get(f"/support/tickets/{number}?t={t}", headers={"Accept-Language": "zh-TW"})
    assert expired.status_code == 410 and 'data-code="link_expired"' in text(expired)
    assert "30 天" in text(expired)


def test_a_second_send_within_a_minute_and_the_lock_are_explained(page):
    client, number, t = page
    client.get(f"/support/tickets/{number}?t={t}")
    send_code(client, number, t)
    again = send_code(client, number, t)
    assert again.status_code == 429 and 'data-code="code_recently_sent"' in text(again)
    wrong = f"{(int(last_code(number)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        enter_code(client, number, t, wrong)
    locked = enter_code(client, number, t, last_code(number))
    assert locked.status_code == 429 and "15 minutes" in text(locked)
    assert client.get_cookie("guest_session") is None


def test_a_verified_browser_opening_a_link_again_sees_the_ticket_and_no_other(page, stack):
    client, number, t = page
    assert verify(client, number, t).status_code == 303
    again = client.get(f"/support/tickets/{number}?t={t}")
    assert 'data-verified="true"' in text(again)  # page.js then drops the token from the address bar
    other = stack.client().post("/api/v1/guest/tickets", json={
        "email": "other@example.com", "subject": "Other problem", "category": "other", "description": "the other guest's words"})
    other_number = other.json["number"]
    foreign = client.get(f"/support/tickets/{other_number}?t={link_token(other_number, 'other@example.com')}")
    assert foreign.status_code == 200 and 'data-view="verify"' in text(foreign) and "the other guest" not in text(foreign)
    clock.clock.advance(dt.timedelta(hours=24, seconds=1))
    ended = client.post(f"/support/tickets/{number}/reply", data={"body": "late", "csrf_token": csrf(client)},
                        content_type="multipart/form-data")
    assert ended.status_code == 401 and 'data-code="session_ended"' in text(ended)


PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def test_a_reply_with_a_recovery_phrase_is_refused_explained_and_not_written_back(page):
    client, number, t = page
    assert verify(client, number, t).status_code == 303
    before = Message.select().count()
    refused = client.post(f"/support/tickets/{number}/reply", data={"body": PHRASE, "csrf_token": csrf(client)},
                          content_type="multipart/form-data")
    assert refused.status_code == 400
    page_text = text(refused)
    assert 'data-code="secret_detected"' in page_text
    assert "frase de recuperación" in page_text  # the ticket's language
    assert "sausage" not in page_text  # the secret is not sent back into the page
    assert Message.select().count() == before


def test_a_redacted_message_says_so_in_the_guests_language(page, support):
    client, number, t = page
    assert verify(client, number, t).status_code == 303
    first = Message.select().join(Ticket).where(Ticket.number == number).order_by(Message.id).first()
    redacted = support.post(f"/api/v1/agent/tickets/{number}/messages/{first.id}/redaction",
                            json={"reason": "card number"})
    assert redacted.status_code == 200, redacted.json
    shown = text(client.get(f"/support/tickets/{number}"))
    assert "El soporte ha eliminado el contenido de este mensaje." in shown
    assert "My card payment failed twice." not in shown and "card number" not in shown
