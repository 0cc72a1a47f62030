"""Video calls in the browser: the call under active items with its checklist, booking a
slot, translation, and the "Join call" card that appears by itself at the scheduled
time and not before; logged out, "Join video call appointment" with an emailed code."""
from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from tests.guest.mailbox import code_in
from tests.web import data

pytestmark = pytest.mark.e2e
LEAD = dt.timedelta(seconds=12)  # how far ahead the join window opens (the product opens it 5 minutes early)


def test_book_choose_translation_and_the_join_card_appears_on_time(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Lost card", category="account_security")["number"]
    browser.log_in_as(customer.email, data.PASSWORD)  # before the call's clock starts: on a loaded machine it is slow
    soon = data.now() + dt.timedelta(minutes=5) + LEAD
    call = data.propose(support_agent, number, soon, soon + dt.timedelta(hours=2))
    call_id = call["id"]

    browser.open("/support")
    card = browser.visible(f"#call-{call_id}")
    assert number in card.text
    assert browser.attrs(f"#call-{call_id} .checklist li", "data-key") == [
        "english_session", "original_id_document", "card_in_possession", "camera_on", "quiet_room"]
    assert "photocopies are not accepted" in browser.text_of(f"#call-{call_id} .checklist")
    browser.click(f"label[for=slot-{call_id}-0]")
    browser.click(f"#book-{call_id}")
    browser.visible(f"#join-later-{call_id}")
    booked = customer.get(f"/api/v1/video-calls/{call_id}").json()["call"]
    assert booked["status"] == "booked" and booked["joinable"] is False
    opens = dt.datetime.fromisoformat(booked["join_opens_at"].replace("Z", "+00:00")).timestamp()
    browser.screenshot("video-call-booked")

    browser.mark_page()
    checks_before = 0
    while time.time() < opens - 1.0:
        assert not browser.exists(f"#join-card-{call_id}"), "the Join call card showed before its time"
        checks_before += 1
        time.sleep(0.5)
    assert checks_before >= 2, "the set-up took too long to watch the card before its time"
    browser.visible(f"#join-card-{call_id}", timeout=(opens - time.time()) + 15)
    assert time.time() >= opens
    assert browser.not_reloaded()
    browser.screenshot("video-join-card")
    browser.click(f"#join-{call_id}")
    room = browser.visible(f"#room-link-{call_id}")
    assert room.get_attribute("href").startswith(product.url("/video/rooms/support-"))  # the simulated room
    assert "jwt=" in room.get_attribute("href")

    browser.click(f"#tr-on-{call_id}")
    assert [o.get_attribute("value") for o in browser.find_all(f"#tr-to-{call_id} option")] == ["en"]
    browser.choose(f"#tr-from-{call_id}", "es")
    browser.click(f"#tr-save-{call_id}")
    browser.visible(f"#tr-saved-{call_id}")
    translation = customer.get(f"/api/v1/video-calls/{call_id}").json()["call"]["translation"]
    assert translation == {"enabled": True, "translate_from": "es", "translate_to": "en"}


def test_join_video_call_appointment_without_logging_in(browser, product, support_agent, web_mailbox):
    address = data.email("nologin")
    created = requests.post(product.url("/api/v1/guest/tickets"), json={
        "email": address, "subject": "Cannot log in", "category": "account_security",
        "description": "My 2FA device is lost."}, timeout=30)
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    start = data.now() + dt.timedelta(minutes=2)
    call_id = data.propose(support_agent, number, start)["id"]

    browser.open("/login")
    browser.click("#login-help")
    browser.click("#join-appointment-link")
    browser.wait_text("h1", "Join video call appointment")
    seen = len(web_mailbox.to(address))
    browser.type("#appointment-email", address)
    browser.click("#appointment-send-code")
    assert address in browser.visible("#appointment-sent").text
    message = web_mailbox.wait(address, seen + 1)[-1]
    browser.type("#appointment-code", "000000" if code_in(message) != "000000" else "111111")
    browser.click("#appointment-verify")
    assert "Tries left" in browser.visible("#appointment-code-error").text
    browser.type("#appointment-code", code_in(message))
    browser.click("#appointment-verify")
    browser.visible(f"#call-{call_id}")
    browser.screenshot("join-video-appointment")
    browser.click(f"label[for=slot-{call_id}-0]")
    browser.click(f"#book-{call_id}")
    browser.visible(f"#join-card-{call_id}")  # the slot starts in two minutes: the window is open
    browser.click(f"#join-{call_id}")
    assert "jwt=" in browser.visible(f"#room-link-{call_id}").get_attribute("href")
