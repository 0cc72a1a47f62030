"""The web front end in headless Chromium: one started product and one browser for the
whole of tests/web (starting either is the slow part), a fresh browser state per test."""
from __future__ import annotations

import shutil

import pytest

from tests.e2e.harness import start_product
from tests.web.browser import Browser, start_chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="session")
def web_mailbox():
    from tests.guest.mailbox import Mailbox

    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def product(tmp_path_factory, web_mailbox):
    """The whole product, `make run`'s way, with its mail going to this run's SMTP server."""
    running = start_product(tmp_path_factory.mktemp("web-product"), {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(web_mailbox.port),
        "PUSH_ALLOWED_HOSTS": "127.0.0.1",  # the push receiver of a test, on a port of its own
        "RATE_LIMIT_GUEST_TICKETS": "1000/hour", "RATE_LIMIT_GUEST_TICKETS_PER_EMAIL": "1000/hour"})
    yield running
    running.stop()


@pytest.fixture(scope="session")
def _driver(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
    driver = start_chromium(CHROMIUM, CHROMEDRIVER, tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def browser(_driver, product) -> Browser:
    """The browser with no cookies, storage or open notifications left by an earlier test."""
    page = Browser(_driver, product)
    page.reset()
    return page


@pytest.fixture(scope="session")
def support_agent(product):
    from tests.e2e.harness import create_agent

    return create_agent(product, tier="standard")


@pytest.fixture(scope="session")
def senior_agent(product):
    from tests.e2e.harness import create_agent

    return create_agent(product, tier="senior")
