"""The guest's page in headless Chromium: open the emailed link, send the code, enter it
from the received email, see the ticket, post a reply with a file."""
from __future__ import annotations

import shutil
import uuid

import pytest
import requests

from tests.e2e.harness import create_agent
from tests.guest.mailbox import code_in, ticket_links
from tests.support import png_bytes

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=390,844",
                     "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_guest_page_in_headless_chromium(mail_product, mailbox, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    created = requests.post(mail_product.url("/api/v1/guest/tickets"), json={
        "email": email, "subject": "Withdrawal pending", "category": "wallet",
        "description": "My BTC withdrawal has been pending since yesterday."}, timeout=30)
    assert created.status_code == 201
    [(number, t)] = ticket_links(mailbox.wait(email, 1)[0], mail_product.base_url)
    wait = WebDriverWait(browser, 20)

    browser.get(f"{mail_product.base_url}/support/tickets/{number}?t={t}")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Your support ticket {number}"
    browser.find_element(By.ID, "send-code").click()
    wait.until(ec.presence_of_element_located((By.ID, "notice")))
    code = code_in(mailbox.wait(email, 2)[1])
    field = browser.find_element(By.ID, "code")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=code]").text  # the field is labelled
    field.send_keys(code)
    browser.find_element(By.ID, "verify").click()

    wait.until(ec.presence_of_element_located((By.ID, "history")))
    assert "t=" not in browser.current_url, "the token left the address bar"
    assert browser.current_url == f"{mail_product.base_url}/support/tickets/{number}"
    history = browser.find_element(By.ID, "history").text
    assert "My BTC withdrawal has been pending since yesterday." in history
    assert browser.find_element(By.ID, "status").get_attribute("data-status") == "open"

    screenshot = tmp_path / "wallet.png"
    screenshot.write_bytes(png_bytes(8, 8))
    browser.find_element(By.ID, "body").send_keys("Here is a screenshot of the wallet.")
    browser.find_element(By.ID, "files").send_keys(str(screenshot))
    browser.find_element(By.ID, "send-reply").click()
    wait.until(lambda driver: any("Your reply was sent." in toast.text
                                  for toast in driver.find_elements(By.CSS_SELECTOR, "#toasts .toast")))
    assert "Here is a screenshot of the wallet." in browser.find_element(By.ID, "history").text
    link = browser.find_element(By.LINK_TEXT, "wallet.png")
    assert link.get_attribute("href").startswith(f"{mail_product.base_url}/api/v1/attachments/")

    # Opening the emailed link again, already verified: the page shows the ticket and drops the token.
    browser.get(f"{mail_product.base_url}/support/tickets/{number}?t={t}")
    wait.until(ec.presence_of_element_located((By.ID, "history")))
    wait.until(lambda driver: "t=" not in driver.current_url)

    agent = create_agent(mail_product)
    messages = agent.get(f"/api/v1/agent/tickets/{number}").json()["messages"]
    reply = messages[-1]
    assert (reply["author"]["role"], reply["body"]) == ("guest", "Here is a screenshot of the wallet.")
    assert [a["filename"] for a in reply["attachments"]] == ["wallet.png"]
    assert agent.get(reply["attachments"][0]["url"]).content == png_bytes(8, 8)
