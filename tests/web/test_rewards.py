"""The referral program in the browser: the code and link with copy buttons, the friends
and boxes per milestone, opening a mystery box, and Assets > Capital Flows."""
from __future__ import annotations

import pytest

from tests.e2e.harness import wait_for
from tests.web import data

pytestmark = pytest.mark.e2e


def test_referral_boxes_and_capital_flows(browser, product):
    inviter = data.customer(product)
    referral = data.eligible_referral(inviter)
    invitee = data.customer(product, referral_code=referral["code"])
    assert invitee.post("/api/v1/devices", json={"platform": "ios", "device_id": "web-test-phone"}).status_code == 201
    boxes = wait_for(lambda: inviter.get("/api/v1/referrals/boxes").json()["items"], timeout=20,
                     message="the inviter's first mystery box")

    browser.log_in_as(inviter.email, data.PASSWORD)
    browser.open("/support")
    browser.click("a[href='/rewards']")
    browser.visible("#invite")
    assert browser.find("#referral-code").get_attribute("value") == referral["code"]
    assert browser.find("#referral-link").get_attribute("value") == referral["link"]
    assert referral["link"].endswith(f"/register?ref={referral['code']}")
    browser.click("#copy-link")
    assert browser.visible("#copied").text == "Copied."
    browser.wait_text("#invitee-count", "1")
    assert browser.text_of("#m-app_installed-inviter") == "1"
    assert browser.text_of("#m-deposit_50-inviter") == "0"
    friend = browser.visible("#invitee-list li")
    assert "Friend" in friend.text and "Signed up and installed the app" in friend.text
    browser.screenshot("rewards")

    browser.click("#boxes-link")
    box_id = boxes[0]["id"]
    browser.visible(f"#box-{box_id}[data-status=unopened]")
    browser.screenshot("mystery-boxes")
    browser.click(f"#open-{box_id}")
    browser.visible(f"#box-{box_id}[data-status=opened]")
    revealed = browser.text_of(f"#reward-{box_id}")
    reward = inviter.get("/api/v1/referrals/boxes").json()["items"][0]["reward"]
    assert reward["usdt_value"] in revealed
    if reward["kind"] != "fee_rebate_card":
        assert f"{reward['amount']} {reward['kind']}" in revealed
    browser.open("/rewards/boxes")  # opened stays opened, with the same reward
    assert browser.visible(f"#reward-{box_id}").text == revealed
    browser.screenshot("mystery-box-opened")

    browser.click("a[href='/assets/capital-flows']")
    row = browser.visible("#flow-rows tr")
    entry = inviter.get("/api/v1/assets/capital-flows").json()["items"][0]
    assert entry["amount"] in row.text and entry["asset"] in row.text
    browser.wait().until(lambda d: browser.attrs("#flow-rows tr", "data-status") == ["credited"])  # pending, then credited
    assert "Credited" in browser.text_of("#flow-rows tr")
    browser.screenshot("capital-flows")


def test_a_sub_account_is_told_it_cannot_take_part(browser, product):
    parent = data.customer(product)
    address = data.email("sub")
    made = parent.post("/api/v1/auth/sub-accounts", json={"email": address, "password": data.PASSWORD})
    assert made.status_code == 201, made.text
    browser.log_in_as(address, data.PASSWORD)
    browser.open("/rewards")
    assert browser.visible("#ineligible").text == "Sub-accounts cannot take part in the referral program."
    assert not browser.find("#invite").is_displayed()
