"""`make screenshots`: the main pages in English, Spanish and Traditional Chinese, at a desktop
(1366x768) and a phone (390x844) size, into docs/screenshots/ as `{page}-{lang}-{size}.png`.

The product is started the way tests/web/conftest.py starts it (`make run`'s own command on a
data folder of its own), given a customer with a ticket, a video call and a friend invited,
and an agent; headless Chromium then shows each page once its data is in and captures what
the window shows. Needs chromium and chromedriver."""
from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.harness import create_agent, start_product, wait_for  # noqa: E402
from tests.web import data  # noqa: E402
from tests.web.browser import Browser, start_chromium  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
LANGUAGES = ("en", "es", "zh-Hant")
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def pages(number: str) -> list[tuple[str, str, str, list[str]]]:
    """(name, who, path, what shows that the data is in): who is nobody, the customer or the agent."""
    return [
        ("help", "", "/help", ["#help-categories"]),
        ("support", "customer", "/support", ["#calls .call-card", "#recent-tickets li"]),
        ("ticket", "customer", f"/support/tickets/{number}", ["#history li", "#ticket-facts:not([hidden])"]),
        ("video-calls", "customer", "/support/video-calls", [".call-card .checklist li"]),
        ("rewards", "customer", "/rewards", ["#progress:not([aria-busy])"]),
        ("agent-ticket", "agent", f"/agent/tickets/{number}", ["#history li"]),
    ]


def world(product) -> dict:
    inviter = data.customer(product)
    code = data.eligible_referral(inviter)["code"]
    invitee = data.customer(product, referral_code=code)
    invitee.post("/api/v1/devices", json={"platform": "android", "device_id": "screenshots"})
    number = data.ticket(inviter, subject="Deposit not credited", category="deposit_withdrawal",
                         txid="0x7d2a9c41e5b0f3a8")["number"]
    agent = create_agent(product, tier="standard", name="Ana")
    data.agent_message(agent, number, "Which network did you send the deposit on?", kind="info_request")
    data.propose(agent, number, data.now() + dt.timedelta(days=1))
    wait_for(lambda: inviter.get("/api/v1/notifications").json()["items"], message="a notification")
    return {"customer": inviter, "agent": agent, "number": number}


def capture(browser: Browser, who: dict, lang: str, size: str, number: str) -> list[Path]:
    driver = browser.driver
    made = []
    current = None
    for name, role, path, ready in pages(number):
        if role != current:
            browser.reset()
            driver.set_window_size(*SIZES[size])
            driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
            if role:
                password = data.PASSWORD if role == "customer" else "agent password 1"
                browser.log_in_as(who[role].email, password)
            current = role
        browser.open(path)
        for selector in ready:
            browser.visible(selector)
        browser.settle()
        driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
        target = OUT / f"{name}-{lang}-{size}.png"
        target.write_bytes(driver.get_screenshot_as_png())
        made.append(target)
    return made


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        print("make screenshots needs chromium and chromedriver", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        product = start_product(Path(folder))
        driver = start_chromium(chromium, chromedriver, Path(folder) / "chromium-profile")
        try:
            browser = Browser(driver, product)
            who = world(product)
            for lang in LANGUAGES:
                for size in SIZES:
                    for path in capture(browser, who, lang, size, who["number"]):
                        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
        finally:
            driver.quit()
            product.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
