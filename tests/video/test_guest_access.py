"""Logged-out joining: email codes with shared.otp's rules, and the guest session they open
(SQLite and PostgreSQL)."""
import datetime as dt
import logging

from services.video.models import VerificationCode
from shared import clock
from tests.support import customer
from tests.video.conftest import HOURS, MINUTES, As, events, guest_for_email, open_ticket, propose, slot

CODE = "/api/v1/guest/video-calls/verification-code"
SESSION = "/api/v1/guest/video-calls/session"
ANONYMOUS = {"kind": "anonymous"}


def sent_codes(address: str) -> list[str]:
    return [e["data"]["code"] for e in events("guest.verification_requested.v1") if e["data"]["address"] == address]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def request_code(client, email: str):
    return As(client, ANONYMOUS).post(CODE, json={"email": email})


def open_session(client, email: str, code: str):
    return As(client, ANONYMOUS).post(SESSION, json={"email": email, "code": code})


def alice_with_a_call(tickets_url, support, start_in=2 * MINUTES) -> dict:
    return propose(support, open_ticket(tickets_url, customer(1, "alice@example.com", locale="es")), slot(start_in))


def test_an_address_without_calls_gets_202_and_nothing(client):
    response = request_code(client, "nobody@example.com")
    assert response.status_code == 202
    assert events() == []
    assert [row.code_hash for row in VerificationCode.select()] == ["0" * 64]  # a code no one gets or matches


def test_tries_answer_alike_with_or_without_calls(client, tickets_url, support):
    """Wrong codes must not tell a stranger whether an address has calls with support."""
    alice_with_a_call(tickets_url, support, start_in=3 * HOURS)
    answers = {}
    for email in ("alice@example.com", "nobody@example.com"):
        request_code(client, email)
        guess = wrong(sent_codes(email)[0]) if sent_codes(email) else "000000"
        tries = [open_session(client, email, guess) for _ in range(6)]
        answers[email] = [(r.status_code, r.json["error"]["code"], r.json["error"]["details"]) for r in tries]
    assert answers["alice@example.com"] == answers["nobody@example.com"]
    assert [details["attempts_left"] for *_, details in answers["nobody@example.com"]] == [4, 3, 2, 1, 0, 0]


def test_code_flow_opens_a_session_scoped_to_the_email(client, tickets_url, support, caplog):
    call = alice_with_a_call(tickets_url, support)
    with caplog.at_level(logging.DEBUG):
        response = request_code(client, "Alice@Example.com")
    assert response.status_code == 202
    assert response.json == request_code(client, "nobody@example.com").json  # the same answer either way
    [event] = events("guest.verification_requested.v1")
    assert event["data"]["purpose"] == "video_calls" and event["data"]["address"] == "alice@example.com"
    assert event["data"]["locale"] == "es"
    code = event["data"]["code"]
    assert len(code) == 6 and code.isdigit()
    assert code not in caplog.text and code not in response.get_data(as_text=True)
    assert code not in VerificationCode.get().code_hash
    session = open_session(client, "alice@example.com", code)
    assert session.status_code == 200, session.json
    assert session.json["_guest_grant"] == {"email": "alice@example.com", "scope": {"video_email": "alice@example.com"},
                                            "ttl_seconds": 86400}
    again = open_session(client, "alice@example.com", code)
    assert again.status_code == 400 and again.json["error"]["code"] == "invalid_code"  # single use
    guest = guest_for_email(client, "alice@example.com")
    assert [c["id"] for c in guest.get("/api/v1/video-calls").json["items"]] == [call["id"]]


def test_sends_are_limited_to_one_a_minute_and_five_an_hour_silently(client, tickets_url, support):
    alice_with_a_call(tickets_url, support, start_in=3 * HOURS)
    assert request_code(client, "alice@example.com").status_code == 202
    assert request_code(client, "alice@example.com").status_code == 202
    assert len(sent_codes("alice@example.com")) == 1
    for _ in range(6):
        clock.clock.advance(dt.timedelta(seconds=61))
        assert request_code(client, "alice@example.com").status_code == 202
    assert len(sent_codes("alice@example.com")) == 5
    clock.clock.advance(HOURS)
    request_code(client, "alice@example.com")
    assert len(sent_codes("alice@example.com")) == 6


def test_only_the_newest_code_counts_and_codes_expire(client, tickets_url, support):
    alice_with_a_call(tickets_url, support, start_in=3 * HOURS)
    request_code(client, "alice@example.com")
    clock.clock.advance(dt.timedelta(seconds=61))
    request_code(client, "alice@example.com")
    first, second = sent_codes("alice@example.com")
    if first != second:
        assert open_session(client, "alice@example.com", first).status_code == 400
    clock.clock.advance(10 * MINUTES)
    expired = open_session(client, "alice@example.com", second)
    assert expired.status_code == 400 and expired.json["error"]["code"] == "invalid_code"


def test_five_wrong_codes_spend_the_code_not_the_address(client, tickets_url, support):
    """A stranger typing someone's email cannot lock its owner out: the wrong tries spend
    the code, and the owner's next code works at once."""
    alice_with_a_call(tickets_url, support, start_in=3 * HOURS)
    request_code(client, "alice@example.com")
    [code] = sent_codes("alice@example.com")
    left = []
    for _ in range(5):
        response = open_session(client, "alice@example.com", wrong(code))
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_code"
        left.append(response.json["error"]["details"]["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    spent = open_session(client, "alice@example.com", code)
    assert spent.status_code == 400 and spent.json["error"]["code"] == "invalid_code"
    assert spent.json["error"]["details"] == {"attempts_left": 0}
    assert "new code" in spent.json["error"]["message"]
    clock.clock.advance(dt.timedelta(seconds=61))  # the sends stay limited to one a minute
    assert request_code(client, "alice@example.com").status_code == 202
    fresh = sent_codes("alice@example.com")[-1]
    assert len(sent_codes("alice@example.com")) == 2
    assert open_session(client, "alice@example.com", fresh).status_code == 200


def test_wrong_tries_count_per_code(client, tickets_url, support):
    alice_with_a_call(tickets_url, support, start_in=3 * HOURS)
    request_code(client, "alice@example.com")
    for _ in range(3):
        open_session(client, "alice@example.com", wrong(sent_codes("alice@example.com")[0]))
    clock.clock.advance(dt.timedelta(seconds=61))
    request_code(client, "alice@example.com")
    fresh = sent_codes("alice@example.com")[-1]
    response = open_session(client, "alice@example.com", wrong(fresh))
    assert response.json["error"]["details"]["attempts_left"] == 4  # the earlier code's tries are not carried
    assert open_session(client, "alice@example.com", fresh).status_code == 200


def test_bad_input_is_400(client):
    for body in ({}, {"email": "not an email"}, {"email": "a@example.com", "extra": 1}):
        assert As(client, ANONYMOUS).post(CODE, json=body).status_code == 400
    for body in ({"email": "a@example.com"}, {"email": "a@example.com", "code": "12ab56"}):
        assert As(client, ANONYMOUS).post(SESSION, json=body).status_code == 400
    assert As(client, ANONYMOUS).post(CODE, data="email=a@example.com",
                                      content_type="text/plain").status_code in (400, 415)


def test_a_guest_token_of_one_email_cannot_see_anothers_calls(client, tickets_url, support):
    alice_call = alice_with_a_call(tickets_url, support)
    bob_call = propose(support, open_ticket(tickets_url, customer(2, "bob@example.com")), slot(3 * MINUTES))
    bob = guest_for_email(client, "bob@example.com")
    assert [c["id"] for c in bob.get("/api/v1/video-calls").json["items"]] == [bob_call["id"]]
    for path in (f"/api/v1/video-calls/{alice_call['id']}", ):
        assert bob.get(path).status_code == 404
    assert bob.post(f"/api/v1/video-calls/{alice_call['id']}/join").status_code == 404
    assert bob.put(f"/api/v1/video-calls/{alice_call['id']}/translation",
                   json={"translate_from": "es", "translate_to": "en"}).status_code == 404
