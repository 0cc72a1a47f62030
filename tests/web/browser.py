"""Driving headless Chromium like a person: open pages, type, click, wait; log in by
cookie when a test is about something else; screenshots under test-artifacts/."""
from __future__ import annotations

import base64
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.harness import login_response

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = (1280, 900)
PHONE_WIDTH = 375
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=en-US",
         "--disable-dev-shm-usage")


def start_chromium(binary: str, driver_path: str, profile: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


class Browser:
    """One person at the browser, on the product under test."""

    def __init__(self, driver: webdriver.Chrome, product) -> None:
        self.driver = driver
        self.product = product

    # -- state --------------------------------------------------------------------------------

    def reset(self) -> None:
        driver = self.driver
        driver.set_window_size(*DESKTOP)
        # Leave the last test's page first: its scripts (a bell's poll, a live stream reconnecting)
        # would otherwise run on after its cookies are gone and log their 401s into this test.
        driver.get(self.product.url("/ui/static/icon.svg"))
        driver.delete_all_cookies()
        driver.execute_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")
        driver.get_log("browser")  # drop what earlier tests logged

    def log_in_as(self, email: str, password: str) -> None:
        """The session cookies of a real login, its second step included for an account with 2FA
        (the login form has its own test)."""
        answer = login_response(self.product, email, password)
        self._on_site()
        for name in ("session", "csrf_token"):
            self.driver.add_cookie({"name": name, "value": answer.cookies[name], "path": "/",
                                    "httpOnly": name == "session", "sameSite": "Lax"})

    def _on_site(self) -> None:
        """Cookies and storage belong to the site: be on one of its pages (a light one) first."""
        if not self.driver.current_url.startswith(self.product.base_url + "/"):
            self.driver.get(self.product.url("/ui/static/icon.svg"))

    # -- acting -------------------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.product.url(path))

    def find(self, selector: str):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def exists(self, selector: str) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def wait(self, timeout: float = 15.0) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1)

    def visible(self, selector: str, timeout: float = 15.0):
        return self.wait(timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, selector)))

    def gone(self, selector: str, timeout: float = 15.0) -> None:
        self.wait(timeout).until(ec.invisibility_of_element_located((By.CSS_SELECTOR, selector)))

    def attrs(self, selector: str, name: str) -> list:
        """An attribute of every matching element, read in one go (no stale references)."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]))", selector, name)

    def count(self, selector: str) -> int:
        return self.driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)

    def text_of(self, selector: str) -> str:
        return self.find(selector).text

    def wait_text(self, selector: str, expected: str, timeout: float = 15.0) -> str:
        """Wait until the element's text contains `expected`; returns the text."""
        def found(_):
            try:
                text = self.driver.find_element(By.CSS_SELECTOR, selector).text
            except (NoSuchElementException, StaleElementReferenceException):
                return False
            return text if expected in text else False
        return self.wait(timeout).until(found, f"{expected!r} in {selector}")

    def toasts(self) -> list[str]:
        """The texts of the toasts shown now (each fades after a few seconds)."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#toasts .toast')].map(e => e.textContent)")

    def wait_toast(self, expected: str, timeout: float = 15.0) -> str:
        """Wait for a toast whose text contains `expected`; returns its text."""
        def found(_):
            return next((text for text in self.toasts() if expected in text), False)
        return self.wait(timeout).until(found, f"a toast saying {expected!r}")

    def type(self, selector: str, text: str, clear: bool = True) -> None:
        field = self.visible(selector)
        if clear:
            field.clear()
        field.send_keys(text)

    def click(self, selector: str) -> None:
        """Click the element once it is visible and enabled; a page that re-renders it between
        the find and the click (a live queue, a refreshed list) is found again, not a failure."""
        def clicked(_):
            try:
                element = self.driver.find_element(By.CSS_SELECTOR, selector)
                if not (element.is_displayed() and element.is_enabled()):
                    return False
                element.click()
                return True
            except (NoSuchElementException, StaleElementReferenceException):
                return False
        self.wait().until(clicked, f"{selector} clickable")

    def choose(self, selector: str, value: str) -> None:
        Select(self.visible(selector)).select_by_value(value)

    def set_datetime(self, selector: str, value: str) -> None:
        """A datetime-local field: its typed form depends on the OS locale, so the value is set
        the way the browser's own picker does (value + input event)."""
        self.driver.execute_script(
            "const f = document.querySelector(arguments[0]); f.value = arguments[1];"
            "f.dispatchEvent(new Event('input', {bubbles: true})); f.dispatchEvent(new Event('change', {bubbles: true}));",
            selector, value)

    def drop_files(self, selector: str, files: list[tuple[str, str, bytes]]) -> None:
        """Drag-and-drop: a `drop` event carrying the files, as the OS would deliver it."""
        self.driver.execute_script("""
            const target = document.querySelector(arguments[0]);
            const transfer = new DataTransfer();
            for (const [name, type, bytes] of arguments[1]) {
              transfer.items.add(new File([new Uint8Array(bytes)], name, {type}));
            }
            for (const kind of ['dragenter', 'dragover', 'drop']) {
              target.dispatchEvent(new DragEvent(kind, {bubbles: true, cancelable: true, dataTransfer: transfer}));
            }""", selector, [[name, kind, list(data)] for name, kind, data in files])

    def drop_blank_file(self, selector: str, name: str, kind: str, size: int) -> None:
        """Drop a file of `size` zero bytes made in the page (a big one need not cross the wire)."""
        self.driver.execute_script("""
            const target = document.querySelector(arguments[0]);
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(arguments[3])], arguments[1], {type: arguments[2]}));
            target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
            """, selector, name, kind, size)

    def mark_page(self) -> None:
        """A marker that a reload would wipe: to prove that something changed without one."""
        self.driver.execute_script("window.__noReload = true;")

    def not_reloaded(self) -> bool:
        return self.driver.execute_script("return window.__noReload === true;")

    def screenshot(self, name: str) -> Path:
        """The whole page, not only what the window shows (Chromium's own full-page capture)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the page's scripts have nothing in flight (fetches counted by the page)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.driver.execute_script("return document.readyState") == "complete":
                break
            time.sleep(0.05)

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
