"""Guests through the gateway's own app in front of a running tickets service:
creation rate limits, the guest token and cookie, its scope and its 24 hours."""
import datetime as dt
import io

from services.tickets.core.models import Ticket
from shared import clock
from tests.guest.conftest import GUEST_EMAIL, last_code, link_token
from tests.support import png_bytes

TICKET = {"subject": "Withdrawal stuck", "category": "wallet", "description": "Pending for a day."}


def create(client, email=GUEST_EMAIL, **extra):
    return client.post("/api/v1/guest/tickets", json={"email": email, **TICKET, **extra})


def verified_guest(client, email=GUEST_EMAIL):
    """Create a guest ticket and trade a code for a guest token, as the API's client does."""
    created = create(client, email)
    assert created.status_code == 201, created.json
    number = created.json["number"]
    t = link_token(number, email)
    assert client.post(f"/api/v1/guest/tickets/{number}/verification-code", json={"t": t}).status_code == 202
    session = client.post(f"/api/v1/guest/tickets/{number}/session", json={"t": t, "code": last_code(number)})
    assert session.status_code == 200, session.json
    return number, session


def test_guest_token_and_cookie_open_one_ticket_for_24_hours(make_stack):
    stack = make_stack()
    client = stack.client()
    number, session = verified_guest(client)
    assert set(session.json) == {"ticket_number", "guest_token", "expires_in"}
    assert session.json["expires_in"] == 24 * 3600 and session.json["guest_token"].startswith("g.")
    assert session.headers["Cache-Control"] == "no-store"
    cookies = session.headers.getlist("Set-Cookie")
    guest_cookie = next(c for c in cookies if c.startswith("guest_session="))
    assert "HttpOnly" in guest_cookie and "SameSite=Lax" in guest_cookie and "Max-Age=86400" in guest_cookie
    bearer = {"Authorization": "Bearer " + session.json["guest_token"]}

    other, _ = verified_guest(stack.client(), "other.guest@example.com")
    anonymous = stack.client()
    assert anonymous.get(f"/api/v1/tickets/{number}", headers=bearer).json["number"] == number
    assert anonymous.get(f"/api/v1/tickets/{other}", headers=bearer).status_code == 404
    listed = anonymous.get("/api/v1/tickets", headers=bearer)
    assert (listed.status_code, listed.json["error"]["code"]) == (403, "forbidden")
    assert anonymous.get("/api/v1/notifications", headers=bearer).status_code == 403

    # The cookie works like the bearer token, with the double-submit CSRF check on unsafe methods.
    assert client.get(f"/api/v1/tickets/{number}").status_code == 200
    refused = client.post(f"/api/v1/tickets/{number}/messages", json={"body": "via cookie"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "csrf_failed")
    accepted = client.post(f"/api/v1/tickets/{number}/messages", json={"body": "via cookie"},
                           headers={"X-CSRF-Token": client.get_cookie("csrf_token").value})
    assert accepted.status_code == 201

    clock.clock.advance(dt.timedelta(hours=23, minutes=59))
    assert anonymous.get(f"/api/v1/tickets/{number}", headers=bearer).status_code == 200
    clock.clock.advance(dt.timedelta(minutes=1, seconds=1))
    expired = anonymous.get(f"/api/v1/tickets/{number}", headers=bearer)
    assert (expired.status_code, expired.json["error"]["code"]) == (401, "guest_session_expired")
    assert client.get(f"/api/v1/tickets/{number}").status_code == 401


def test_a_forged_guest_token_is_refused(make_stack):
    stack = make_stack()
    client = stack.client()
    number, session = verified_guest(client)
    header, payload, signature = session.json["guest_token"][2:].split(".")
    forged = "g." + ".".join([header, payload, signature[:-3] + ("abc" if signature[-3:] != "abc" else "xyz")])
    response = stack.client().get(f"/api/v1/tickets/{number}", headers={"Authorization": f"Bearer {forged}"})
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_guest_token")


def test_creation_is_rate_limited_per_email_and_per_address(make_stack):
    per_email = make_stack(RATE_LIMIT_GUEST_TICKETS_PER_EMAIL="2/hour").client()
    assert create(per_email, "a@example.com").status_code == 201
    multipart = per_email.post("/api/v1/guest/tickets", data={
        "email": "A@example.com", "subject": "With a screenshot", "category": "wallet", "description": "see",
        "files": [(io.BytesIO(png_bytes()), "shot.png")]}, content_type="multipart/form-data")
    assert multipart.status_code == 201, multipart.json
    # The body read for the per-email key still reached the service whole.
    assert Ticket.get(Ticket.number == multipart.json["number"]).attachments.get().size == len(png_bytes())
    third = create(per_email, "a@example.com")
    assert (third.status_code, third.json["error"]["code"]) == (429, "rate_limited")
    assert int(third.headers["Retry-After"]) > 0
    assert create(per_email, "b@example.com").status_code == 201

    per_address = make_stack(RATE_LIMIT_GUEST_TICKETS="3/hour").client()
    assert [create(per_address, f"{n}@example.com").status_code for n in "cdef"] == [201, 201, 201, 429]
    assert Ticket.select().count() == 6


def test_credentials_are_not_needed_nor_in_the_way(make_stack):
    client = make_stack().client()
    client.set_cookie("guest_session", "g.stale-token")
    response = client.post("/api/v1/guest/tickets", json={"email": GUEST_EMAIL, **TICKET},
                           headers={"Authorization": "Bearer g.not-a-token"})
    assert response.status_code == 201
    invalid = client.post("/api/v1/guest/tickets", json={"email": "nope", **TICKET})
    assert (invalid.status_code, invalid.json["error"]["code"]) == (400, "validation_error")


def test_a_body_over_the_gateway_limit_is_413_before_anything_is_stored(make_stack):
    client = make_stack(MAX_CONTENT_LENGTH=4096).client()
    response = client.post("/api/v1/guest/tickets", data={
        "email": GUEST_EMAIL, **TICKET, "files": [(io.BytesIO(b"x" * 8192), "big.txt")]},
        content_type="multipart/form-data")
    assert (response.status_code, response.json["error"]["code"]) == (413, "payload_too_large")
    assert Ticket.select().count() == 0
