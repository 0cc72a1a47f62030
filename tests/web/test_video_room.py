"""The default video provider in `make run`'s product: "Join call" leads to a room page of
the product itself that answers, says it is simulated, names the call and shows its pass."""
from __future__ import annotations

import datetime as dt

import jwt
import pytest
import requests

from tests.web import data

pytestmark = pytest.mark.e2e


def test_join_call_opens_the_simulated_room_naming_the_call(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Card lost", category="account_security")["number"]
    start = data.now() + dt.timedelta(minutes=2)  # inside the join window, which opens 5 minutes early
    call = data.propose(support_agent, number, start)
    booked = customer.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": data.iso(start)})
    assert booked.status_code == 200, booked.text
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support/video-calls")
    browser.click(f"#join-{call['id']}")
    link = browser.visible(f"#room-link-{call['id']}").get_attribute("href")
    assert link.startswith(product.url("/video/rooms/support-")) and "jwt=" in link
    room = link.split("/video/rooms/", 1)[1].split("?", 1)[0]

    assert requests.get(link, timeout=30).status_code == 200
    browser.open(link.removeprefix(product.base_url))
    assert room in browser.visible("h1").text
    assert browser.exists("#simulated-note")
    token = browser.find("#room-token").get_attribute("value")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["room"] == room and claims["aud"] == "simulated"
    assert browser.text_of("#pass-holder") and "UTC" not in browser.text_of("#pass-expires")

    # Without its pass, or for another room, the page says there is none (and shows no token).
    browser.open(f"/video/rooms/{room}")
    assert browser.visible("#no-pass") and not browser.exists("#room-token")
    assert requests.get(product.url("/video/rooms/bad%20room"), timeout=30).status_code == 404
