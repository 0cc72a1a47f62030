"""The account security page in the browser: turning on two-factor sign-in with the QR
code, the ten recovery codes shown once, the anti-phishing code; then the login page's
second step, with a code and with a recovery code."""
from __future__ import annotations

import pytest

from tests.e2e.harness import MfaKeys
from tests.web import data

pytestmark = pytest.mark.e2e


def log_in_with_the_form(browser, email: str, code: str, expected_path: str) -> None:
    browser.open("/login")
    browser.type("#email", email)
    browser.type("#password", data.PASSWORD)
    browser.click("#login-submit")
    browser.visible("#mfa-code")
    assert not browser.find("#login-form").is_displayed()
    browser.type("#mfa-code", code)
    browser.click("#mfa-submit")
    browser.wait().until(lambda d: d.current_url.endswith(expected_path))


def test_enrol_in_2fa_on_the_page_then_log_in_with_the_second_step(browser, product):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support")
    browser.click(".account summary")
    browser.click("#security-link")
    browser.wait().until(lambda d: d.current_url.endswith("/account/security"))
    browser.wait_text("#mfa-state", "off")
    browser.wait_text("#apc-state", "no anti-phishing code")

    browser.click("#mfa-start")
    qr = browser.visible("#mfa-qr")
    browser.wait().until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth",
                                                    qr))  # the SVG rendered as an image
    browser.screenshot("account-security-enrol")
    secret = browser.text_of("#mfa-secret").replace(" ", "")
    keys = MfaKeys(secret=secret, recovery_codes=[])
    browser.type("#mfa-confirm-code", "12345")
    browser.click("#mfa-confirm")
    assert browser.visible("#mfa-error").text == "Enter the 6-digit code from the app."
    browser.type("#mfa-confirm-code", keys.next_code())
    browser.click("#mfa-confirm")
    browser.visible("#recovery-panel")
    codes = [item.text for item in browser.find_all("#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    browser.wait_text("#mfa-state", "on")
    assert not browser.find("#mfa-enrol").is_displayed() and browser.text_of("#mfa-secret") == ""
    browser.screenshot("account-security-recovery-codes")
    assert customer.get("/api/v1/me").json()["user"]["mfa_enabled"] is True

    browser.type("#apc-code", "ab")
    browser.click("#apc-save")
    assert "4 to 20" in browser.visible("#apc-error").text
    browser.type("#apc-code", "Owl2030")
    browser.click("#apc-save")
    browser.visible("#apc-saved")
    browser.wait_text("#apc-state", "is set")
    assert customer.get("/api/v1/me").json()["user"]["anti_phishing_code_set"] is True

    # Logged out, the login asks for the code after the password, on the same page.
    browser.click(".account summary")
    browser.click("#logout")
    browser.wait().until(lambda d: d.current_url.endswith("/login"))
    log_in_with_the_form(browser, customer.email, keys.next_code(), "/support")
    browser.wait_text(".account-email", customer.email)
    browser.screenshot("login-second-step-done")

    browser.reset()
    browser.open("/login")
    browser.type("#email", customer.email)
    browser.type("#password", data.PASSWORD)
    browser.click("#login-submit")
    browser.type("#mfa-code", "wrong-code")
    browser.click("#mfa-submit")
    assert "Tries left: 4" in browser.visible("#mfa-error").text
    browser.screenshot("login-second-step")
    browser.type("#mfa-code", codes[0])  # a recovery code is taken in the same field
    browser.click("#mfa-submit")
    browser.wait().until(lambda d: d.current_url.endswith("/support"))
    unexpected = [line for line in browser.console_errors() if "status of 400" not in line]  # the wrong code's
    assert not unexpected
