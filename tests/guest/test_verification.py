"""Links and one-time codes on the tickets service (SQLite and PostgreSQL): every
refusal of the issue with its contract code, and the session it grants."""
import datetime as dt

from services.tickets.guest.models import GuestCode
from shared import clock
from tests.guest.conftest import (
    GUEST_EMAIL,
    LINK_SECRET,
    last_code,
    link_token,
    open_guest_ticket,
    open_session,
    outbox_events,
    request_code,
)


def error_code(response) -> str:
    return response.json["error"]["code"]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_code_goes_to_the_bound_email_hashed_and_a_right_code_grants_one_ticket_for_a_day(anonymous):
    number = open_guest_ticket(anonymous, locale="es")
    t = link_token(number)
    sent = request_code(anonymous, number, t)
    assert sent.status_code == 202
    assert sent.json == {"expires_in": 600, "resend_after": 60}
    [event] = outbox_events("guest.verification_requested.v1")
    code = event["code"]
    assert event == {"purpose": "guest_ticket", "address": GUEST_EMAIL, "code": code, "locale": "es",
                     "ticket_number": number}
    assert len(code) == 6 and code.isdigit()
    stored = GuestCode.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert code not in sent.get_data(as_text=True)

    granted = open_session(anonymous, number, t, code)
    assert granted.status_code == 200, granted.json
    assert granted.json == {"ticket_number": number, "_guest_grant": {
        "email": GUEST_EMAIL, "scope": {"ticket": number}, "ttl_seconds": 24 * 3600}}


def test_a_tampered_token_is_an_invalid_link(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    tampered = t[:-2] + ("AA" if not t.endswith("AA") else "BB")
    for bad in (tampered, "x", link_token(number, secret="another-secret-entirely-xxxxxxxx")):
        for response in (request_code(anonymous, number, bad), open_session(anonymous, number, bad, "123456")):
            assert response.status_code == 403
            assert error_code(response) == "invalid_link"
    assert outbox_events("guest.verification_requested.v1") == []


def test_a_token_of_ticket_a_on_ticket_b_is_an_invalid_link(anonymous):
    ticket_a = open_guest_ticket(anonymous)
    ticket_b = open_guest_ticket(anonymous, email="other.guest@example.com")
    t_a = link_token(ticket_a)
    response = request_code(anonymous, ticket_b, t_a)
    assert (response.status_code, error_code(response)) == (403, "invalid_link")
    # A well signed link whose email is not the ticket's guest opens nothing either.
    assert error_code(request_code(anonymous, ticket_b, link_token(ticket_b, GUEST_EMAIL))) == "invalid_link"
    assert request_code(anonymous, ticket_a, t_a).status_code == 202
    code = last_code(ticket_a)
    stolen = open_session(anonymous, ticket_b, t_a, code)
    assert (stolen.status_code, error_code(stolen)) == (403, "invalid_link")
    assert open_session(anonymous, ticket_a, t_a, code).status_code == 200


def test_a_link_older_than_30_days_has_expired(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    clock.clock.advance(dt.timedelta(days=29, hours=23))
    assert request_code(anonymous, number, t).status_code == 202
    clock.clock.advance(dt.timedelta(hours=1, seconds=1))
    for response in (request_code(anonymous, number, t), open_session(anonymous, number, t, last_code(number))):
        assert response.status_code == 410
        assert error_code(response) == "link_expired"


def test_a_used_code_is_refused(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    request_code(anonymous, number, t)
    code = last_code(number)
    assert open_session(anonymous, number, t, code).status_code == 200
    reused = open_session(anonymous, number, t, code)
    assert reused.status_code == 400
    assert error_code(reused) == "invalid_code"
    assert reused.json["error"]["details"] == {"attempts_left": 4}


def test_an_expired_or_superseded_code_is_refused(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    request_code(anonymous, number, t)
    first = last_code(number)
    clock.clock.advance(dt.timedelta(minutes=10, seconds=1))
    assert error_code(open_session(anonymous, number, t, first)) == "invalid_code"
    request_code(anonymous, number, t)
    clock.clock.advance(dt.timedelta(minutes=2))
    request_code(anonymous, number, t)
    second = last_code(number)
    older = [e["code"] for e in outbox_events("guest.verification_requested.v1")][-2]
    if older != second:  # two random codes are equal once in a million sends
        assert error_code(open_session(anonymous, number, t, older)) == "invalid_code"
    assert open_session(anonymous, number, t, f" {second[:3]} {second[3:]} ").status_code == 200


def test_five_wrong_tries_lock_for_15_minutes_even_the_right_code(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    request_code(anonymous, number, t)
    code = last_code(number)
    left = []
    for _ in range(5):
        response = open_session(anonymous, number, t, wrong(code))
        assert (response.status_code, error_code(response)) == (400, "invalid_code")
        left.append(response.json["error"]["details"]["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    sixth = open_session(anonymous, number, t, code)
    assert (sixth.status_code, error_code(sixth)) == (429, "verification_locked")
    assert 0 < int(sixth.headers["Retry-After"]) <= 15 * 60 + 1
    # Sending a code is locked as well, so the lock cannot be waited out with fresh codes.
    assert error_code(request_code(anonymous, number, t)) == "verification_locked"
    clock.clock.advance(dt.timedelta(minutes=14, seconds=50))
    assert error_code(open_session(anonymous, number, t, code)) == "verification_locked"
    clock.clock.advance(dt.timedelta(seconds=11))
    # After the lock the old code has expired (10 minutes), a new one works, and the tries start over.
    assert open_session(anonymous, number, t, code).json["error"]["details"] == {"attempts_left": 4}
    assert request_code(anonymous, number, t).status_code == 202
    assert open_session(anonymous, number, t, last_code(number)).status_code == 200


def test_the_lock_belongs_to_its_ticket(anonymous):
    locked = open_guest_ticket(anonymous)
    other = open_guest_ticket(anonymous, subject="Another problem", category="other")
    t = link_token(locked)
    request_code(anonymous, locked, t)
    for _ in range(5):
        open_session(anonymous, locked, t, wrong(last_code(locked)))
    assert error_code(open_session(anonymous, locked, t, last_code(locked))) == "verification_locked"
    t_other = link_token(other)
    assert request_code(anonymous, other, t_other).status_code == 202
    assert open_session(anonymous, other, t_other, last_code(other)).status_code == 200


def test_one_send_a_minute_and_five_an_hour(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    assert request_code(anonymous, number, t).status_code == 202
    clock.clock.advance(dt.timedelta(seconds=30))
    second = request_code(anonymous, number, t)
    assert (second.status_code, error_code(second)) == (429, "code_recently_sent")
    assert second.headers["Retry-After"] == "30"
    for _ in range(4):
        clock.clock.advance(dt.timedelta(seconds=61))
        assert request_code(anonymous, number, t).status_code == 202
    clock.clock.advance(dt.timedelta(seconds=61))
    sixth = request_code(anonymous, number, t)
    assert (sixth.status_code, error_code(sixth)) == (429, "too_many_codes")
    assert len(outbox_events("guest.verification_requested.v1")) == 5
    clock.clock.advance(dt.timedelta(hours=1) - dt.timedelta(seconds=61 * 5 + 30) + dt.timedelta(seconds=1))
    assert request_code(anonymous, number, t).status_code == 202


def test_bad_bodies_are_400_and_change_nothing(anonymous):
    number = open_guest_ticket(anonymous)
    t = link_token(number)
    for body in ({}, {"t": ""}, {"t": t, "extra": 1}, {"t": ["list"]}):
        response = anonymous.post(f"/api/v1/guest/tickets/{number}/verification-code", json=body)
        assert response.status_code == 400, body
        assert error_code(response) == "validation_error"
    assert anonymous.post(f"/api/v1/guest/tickets/{number}/session", json={"t": t}).status_code == 400
    assert anonymous.post(f"/api/v1/guest/tickets/{number}/session",
                          json={"t": t, "code": "1" * 40}).status_code == 400
    assert outbox_events("guest.verification_requested.v1") == []
    # An unknown ticket number is refused like any link that does not fit it.
    response = request_code(anonymous, "99999999", link_token("99999999"))
    assert (response.status_code, error_code(response)) == (403, "invalid_link")
    assert LINK_SECRET not in response.get_data(as_text=True)


def test_concurrent_tries_and_sends_cannot_race_past_the_limits(anonymous, tickets_url):
    """Requests for one ticket queue on its verification row: five wrong tries, never more."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.support import token

    number = open_guest_ticket(anonymous)
    t = link_token(number)
    headers = token("tickets", kind="anonymous")

    def post(path, body):
        response = requests.post(f"{tickets_url}/api/v1/guest/tickets/{number}/{path}", json=body,
                                 headers=headers, timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(4) as pool:
        sends = list(pool.map(lambda _: post("verification-code", {"t": t}), range(4)))
    assert sorted(status for status, _ in sends) == [202, 429, 429, 429]
    code = last_code(number)
    with ThreadPoolExecutor(8) as pool:
        tries = list(pool.map(lambda _: post("session", {"t": t, "code": wrong(code)}), range(8)))
    left = sorted(body["error"]["details"]["attempts_left"] for status, body in tries if status == 400)
    assert left == [0, 1, 2, 3, 4]
    assert [body["error"]["code"] for status, body in tries if status != 400] == ["verification_locked"] * 3
