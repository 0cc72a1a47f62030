"""Notifications in the browser: the bell's count rises in an open page when an agent
replies, the inbox, the preferences, and Web Push through the service worker."""
from __future__ import annotations

import json

import pytest

from tests.e2e.harness import wait_for
from tests.notifications.push_receiver import PushReceiver
from tests.web import data

pytestmark = pytest.mark.e2e


def bell_count(browser) -> int:
    return int(browser.find("#bell-count").get_attribute("data-count"))


def test_the_bell_rises_live_when_an_agent_replies_then_the_inbox(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Withdrawal stuck")["number"]
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support")
    browser.visible("body[data-live=open]")  # the page follows the live stream
    start = customer.get("/api/v1/notifications").json()["unread_count"]
    browser.wait().until(lambda d: bell_count(browser) == start)
    browser.mark_page()

    data.agent_message(support_agent, number, "We are looking at your withdrawal.")
    browser.wait(20).until(lambda d: bell_count(browser) == start + 1)
    assert browser.not_reloaded()
    assert browser.find("#bell").get_attribute("aria-label") == f"Notifications, {start + 1} unread"
    assert browser.visible("#bell-count").text == str(start + 1)
    browser.screenshot("support-bell")

    browser.click("#bell")
    assert number in browser.visible("#inbox-list li.unread[data-kind=ticket_updates]").text
    browser.screenshot("inbox")
    browser.click("#inbox-list li.unread[data-kind=ticket_updates] a")
    browser.wait().until(lambda d: d.current_url.endswith(f"/support/tickets/{number}"))
    browser.wait_text("#history", "We are looking at your withdrawal.")
    browser.wait().until(lambda d: bell_count(browser) == start)  # opened is read
    browser.open("/notifications")
    browser.visible("#inbox-list li")
    browser.click("#read-all")
    browser.wait().until(lambda d: bell_count(browser) == 0)
    browser.wait().until(lambda d: browser.count("#inbox-list li.unread") == 0)
    assert customer.get("/api/v1/notifications?unread=true").json()["unread_count"] == 0


def test_preferences_are_saved(browser, product):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/settings/notifications")
    box = browser.visible("#email-ticket_updates")
    browser.wait().until(lambda d: box.is_enabled())
    assert box.is_selected()
    box.click()
    browser.find("#push-rewards").click()
    browser.click("#prefs-save")
    browser.visible("#prefs-saved")
    browser.screenshot("preferences")
    saved = customer.get("/api/v1/notification-preferences").json()
    assert saved["email"]["ticket_updates"] is False and saved["push"]["rewards"] is False
    assert saved["push"]["ticket_updates"] is True
    browser.open("/settings/notifications")
    browser.wait().until(lambda d: browser.find("#email-ticket_updates").is_enabled())
    assert not browser.find("#email-ticket_updates").is_selected()


# The browser's own push service (FCM for Chromium) is out of reach here: the test stands in
# for it with the same interface, a PushSubscription whose endpoint is a local receiver that
# decrypts what the product pushes, and hands the decrypted message to the service worker
# the way Chromium does (DevTools' deliverPushMessage).
STUB_PUSH_MANAGER = """
const subscription = arguments[0];
let current = null;
PushManager.prototype.subscribe = async function (options) {
  if (!(options.applicationServerKey instanceof Uint8Array) || options.applicationServerKey.length !== 65) {
    throw new Error("applicationServerKey is not the VAPID public key");
  }
  window.__applicationServerKey = Array.from(options.applicationServerKey);
  current = { endpoint: subscription.endpoint, toJSON: () => subscription,
              unsubscribe: async () => { current = null; return true; } };
  return current;
};
PushManager.prototype.getSubscription = async function () { return current; };
"""


def test_browser_push_opt_in_and_a_push_shown_by_the_service_worker(browser, product, support_agent):
    receiver = PushReceiver()
    try:
        customer = data.customer(product)
        number = data.ticket(customer)["number"]
        browser.log_in_as(customer.email, data.PASSWORD)
        browser.open("/settings/notifications")
        browser.driver.execute_cdp_cmd("Browser.grantPermissions",
                                       {"origin": product.base_url, "permissions": ["notifications"]})
        subscription = receiver.browser("chromium")
        browser.driver.execute_script(STUB_PUSH_MANAGER, subscription)
        assert browser.visible("#push-state").text == "Browser notifications are off in this browser."
        browser.click("#push-enable")
        browser.wait_text("#push-state", "Browser notifications are on in this browser.")
        vapid = customer.get("/api/v1/push/vapid-public-key").json()["public_key"]
        assert browser.driver.execute_script("return window.__applicationServerKey.length") == 65
        stored = customer.get("/api/v1/push-subscriptions").json()["items"]
        assert [item["endpoint"] for item in stored] == [subscription["endpoint"]]
        scope = browser.driver.execute_async_script(
            "navigator.serviceWorker.getRegistration('/').then(r => arguments[0](r && r.active ? r.scope : null))")
        assert scope == product.base_url + "/"

        data.agent_message(support_agent, number, "Your withdrawal was sent.")
        pushed = receiver.wait_for(1, timeout=20)[0]
        assert pushed["vapid_key"].rstrip("=") == vapid.rstrip("=")
        assert pushed["payload"]["link"].endswith(f"/support/tickets/{number}")
        message = json.dumps(pushed["payload"])
        browser.driver.execute_cdp_cmd("ServiceWorker.enable", {})
        # Chromium numbers a profile's registrations from 0 and the web tests share one profile, so the
        # registration's id is small but not known here (selenium does not hand over CDP's events).
        for registration_id in range(64):
            browser.driver.execute_cdp_cmd("ServiceWorker.deliverPushMessage", {
                "origin": product.base_url, "registrationId": str(registration_id), "data": message})
        shown = wait_for(lambda: browser.driver.execute_async_script(
            "navigator.serviceWorker.getRegistration('/').then(r => r.getNotifications())"
            ".then(list => arguments[0](list.map(n => [n.title, n.body, n.data.link])))"), message="a notification")
        assert shown == [[pushed["payload"]["title"], pushed["payload"]["body"], pushed["payload"]["link"]]]
        assert number in pushed["payload"]["title"] + pushed["payload"]["body"]

        browser.click("#push-disable")
        browser.wait_text("#push-state", "Browser notifications are off in this browser.")
        assert customer.get("/api/v1/push-subscriptions").json()["items"] == []
    finally:
        receiver.close()
