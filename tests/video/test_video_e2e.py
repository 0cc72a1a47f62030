"""Video calls end to end, through the gateway, against the product started like `make run`,
with a real SMTP server (aiosmtpd) that the test owns."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import threading
import time
import uuid

import jwt
import pytest
from aiosmtpd.controller import Controller

from tests.e2e.harness import Client, create_agent, register_and_login, start_product, wait_for
from tests.support import free_port

pytestmark = pytest.mark.e2e

ROOM_SECRET = "e2e-video-room-secret-" + "q" * 16
MINUTE = dt.timedelta(minutes=1)


class Mailbox:
    """aiosmtpd handler keeping every message, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def product(tmp_path_factory, mailbox):
    _, port = mailbox
    running = start_product(tmp_path_factory.mktemp("video-product"), {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "VIDEO_PROVIDER": "jitsi",
        "VIDEO_APP_SECRET": ROOM_SECRET, "VIDEO_ROOM_BASE_URL": "https://meet.example.org",
        "VIDEO_REMINDER_INTERVAL_SECONDS": "0.5"})
    yield running
    running.stop()


def iso(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def slot(start_in: dt.timedelta, minutes: int = 30) -> dict:
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + start_in
    return {"start": iso(start), "end": iso(start + dt.timedelta(minutes=minutes))}


def human(instant: str) -> str:
    """How the notifications write a slot in English: `Nov 22, 2026, 10:30 AM UTC`."""
    return dt.datetime.fromisoformat(instant.replace("Z", "")).strftime("%b %-d, %Y, %-I:%M %p UTC")


def plain_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def code_sent_to(box: Mailbox, address: str) -> str | None:
    """The 6-digit code in the plain-text part of the newest code email to `address`."""
    codes = [re.search(r"\b(\d{6})\b", plain_text(m)) for m in box.to(address) if "code" in str(m["Subject"]).lower()]
    codes = [c.group(1) for c in codes if c]
    return codes[-1] if codes else None


def open_ticket(customer: Client) -> str:
    response = customer.post("/api/v1/tickets", json={
        "subject": "Card stolen", "category": "video_verification", "description": "Please block my card."})
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["number"]


def propose(agent: Client, number: str, *slots: dict) -> dict:
    response = agent.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": list(slots)})
    assert response.status_code == 201, response.text
    return response.json()["call"]


def book(customer: Client, call_id: int, start: str):
    response = customer.post(f"/api/v1/video-calls/{call_id}/booking", json={"slot_start": start})
    assert response.status_code == 200, response.text
    return response.json()["call"]


def the_call(customer: Client, call_id: int) -> dict:
    return next(c for c in customer.get("/api/v1/video-calls").json()["items"] if c["id"] == call_id)


def test_propose_book_join_translate_and_record_the_outcome(product):
    alice = register_and_login(product, locale="en")
    agent = create_agent(product)
    number = open_ticket(alice)
    far, near = slot(3 * 60 * MINUTE), slot(2 * MINUTE)
    call = propose(agent, number, far, near)

    listed = the_call(alice, call["id"])
    assert listed["status"] == "proposed" and listed["language"] == "en"
    assert {i["key"] for i in listed["checklist"]} >= {"original_id_document", "card_in_possession", "camera_on"}

    book(alice, call["id"], far["start"])
    listed = the_call(alice, call["id"])
    assert listed["joinable"] is False
    assert listed["join_opens_at"] == iso(dt.datetime.fromisoformat(far["start"][:-1]) - 5 * MINUTE).replace(
        "Z", ".000Z")
    refused = alice.post(f"/api/v1/video-calls/{call['id']}/join")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_joinable"

    book(alice, call["id"], near["start"])
    assert the_call(alice, call["id"])["joinable"] is True
    joined = alice.post(f"/api/v1/video-calls/{call['id']}/join")
    assert joined.status_code == 200, joined.text
    claims = jwt.decode(joined.json()["room_token"], ROOM_SECRET, algorithms=["HS256"], audience="jitsi")
    room = joined.json()["room_url"].rsplit("/", 1)[1]
    assert claims["room"] == room and claims["sub"] == "meet.example.org"
    assert claims["context"]["user"]["id"] == f"user-{alice.user['id']}"
    start = dt.datetime.fromisoformat(near["start"][:-1]).replace(tzinfo=dt.UTC)
    end = dt.datetime.fromisoformat(near["end"][:-1]).replace(tzinfo=dt.UTC)
    assert claims["nbf"] == int((start - 5 * MINUTE).timestamp())
    assert int(end.timestamp()) < claims["exp"] <= int(end.timestamp()) + 3600

    translated = alice.put(f"/api/v1/video-calls/{call['id']}/translation",
                           json={"translate_from": "es", "translate_to": "en"})
    assert translated.status_code == 200, translated.text
    assert the_call(alice, call["id"])["translation"] == {"enabled": True, "translate_from": "es",
                                                         "translate_to": "en"}

    outcome = agent.post(f"/api/v1/agent/video-calls/{call['id']}/outcome", json={"result": "verified"})
    assert outcome.status_code == 200, outcome.text
    assert the_call(alice, call["id"])["status"] == "completed"

    def history():
        messages = alice.get(f"/api/v1/tickets/{number}").json()["messages"]
        return [m["body"] for m in messages if m["author"]["role"] == "system"]

    bodies = wait_for(lambda: (lambda h: h if any("identity was verified" in b for b in h) else None)(history()),
                      timeout=20, message="the outcome in the ticket's history")
    assert any(b.startswith("Support asked for a video call.") for b in bodies)
    assert any("booked for" in b for b in bodies) and any("moved from" in b for b in bodies)


def test_a_booking_thirty_minutes_ahead_gets_exactly_one_reminder(product, mailbox):
    box, _ = mailbox
    bob = register_and_login(product, locale="en")
    agent = create_agent(product)
    soon = slot(30 * MINUTE)
    call = propose(agent, open_ticket(bob), soon)
    book(bob, call["id"], soon["start"])
    title = f"Your video call starts at {human(soon['start'])}"

    def reminders_in_inbox():
        items = bob.get("/api/v1/notifications").json()["items"]
        return [i for i in items if i["kind"] == "video_calls" and i["title"] == title]

    wait_for(reminders_in_inbox, timeout=60, message="the reminder in the inbox")
    subject = f"Reminder: your video call starts at {human(soon['start'])}"
    wait_for(lambda: [m for m in box.to(bob.email) if m["Subject"] == subject], timeout=60,
             message="the reminder email")
    booked_title = wait_for(lambda: [i["title"] for i in bob.get("/api/v1/notifications").json()["items"]
                                     if i["kind"] == "video_calls" and i["title"] != title],
                            timeout=30, message="the booking confirmation")
    assert booked_title
    # Proving that nothing more comes needs a wait: four passes of the 0.5 s scheduler.
    time.sleep(2)
    assert len(reminders_in_inbox()) == 1
    assert len([m for m in box.to(bob.email) if m["Subject"] == subject]) == 1


def test_logged_out_joining_with_an_email_code(product, mailbox):
    box, _ = mailbox
    carol = register_and_login(product, locale="en")
    dave = register_and_login(product, locale="en")
    agent = create_agent(product)
    carol_slot, dave_slot = slot(2 * MINUTE), slot(3 * MINUTE)
    carol_call = propose(agent, open_ticket(carol), carol_slot)
    book(carol, carol_call["id"], carol_slot["start"])
    dave_call = propose(agent, open_ticket(dave), dave_slot)
    book(dave, dave_call["id"], dave_slot["start"])
    anonymous = Client(product)

    stranger = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    assert anonymous.post("/api/v1/guest/video-calls/verification-code", json={"email": stranger}).status_code == 202
    assert anonymous.post("/api/v1/guest/video-calls/verification-code",
                          json={"email": carol.email}).status_code == 202
    code = wait_for(lambda: code_sent_to(box, carol.email), timeout=30, message="the code email")
    assert box.to(stranger) == []  # the code for carol went out after the stranger's request: none for him

    session = anonymous.post("/api/v1/guest/video-calls/session", json={"email": carol.email, "code": code})
    assert session.status_code == 200, session.text
    assert "_guest_grant" not in session.json()
    guest = Client(product, session.json()["guest_token"])
    items = guest.get("/api/v1/video-calls").json()["items"]
    assert [c["id"] for c in items] == [carol_call["id"]] and items[0]["joinable"] is True
    assert guest.post(f"/api/v1/video-calls/{carol_call['id']}/join").status_code == 200
    assert guest.post(f"/api/v1/video-calls/{dave_call['id']}/join").status_code == 404
    assert guest.get("/api/v1/tickets").status_code in (401, 403)

    anonymous = Client(product)  # a new visitor: the first one now carries carol's guest cookie
    assert anonymous.post("/api/v1/guest/video-calls/verification-code", json={"email": dave.email}).status_code == 202
    right = wait_for(lambda: code_sent_to(box, dave.email), timeout=30, message="dave's code email")
    attempts = [anonymous.post("/api/v1/guest/video-calls/session", json={"email": dave.email, "code": "000000"})
                for _ in range(5)]
    if right == "000000":
        pytest.skip("the random code happened to be 000000")
    assert [a.json()["error"]["details"]["attempts_left"] for a in attempts] == [4, 3, 2, 1, 0]
    spent = anonymous.post("/api/v1/guest/video-calls/session", json={"email": dave.email, "code": right})
    assert spent.status_code == 400 and spent.json()["error"]["code"] == "invalid_code"  # the code, not dave, is locked
    assert spent.json()["error"]["details"]["attempts_left"] == 0
