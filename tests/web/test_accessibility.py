"""axe-core (vendored: tests/web/vendor/axe-core, v4.10.2, MPL-2.0) run in Chromium against
every page, logged out, as a customer and as an agent, at a desktop and a phone size: no
serious or critical violation anywhere."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.web import data
from tests.web.test_languages import world  # noqa: F401  (the fixture: a customer with data on every page)
from tests.web.walk import SIZES, failures

pytestmark = pytest.mark.e2e
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "b511cd9dec01c76f4b2ad1723b66b6db37d4c2eb4ed199076e1829d9ee7b75e3"
RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(result => done(result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
  .catch(error => done(['axe failed: ' + error]));
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "the vendored axe-core is the pinned one"
    return source.decode("utf-8")


def test_the_vendored_axe_finds_a_violation(browser, axe_source):
    """The check can fail: a button without a name on a page is found."""
    browser.open("/login")
    browser.driver.execute_script("document.body.append(document.createElement('button'))")
    browser.driver.execute_script(axe_source)
    found = browser.driver.execute_async_script(RUN)
    assert any(line.startswith("button-name") for line in found), found


@pytest.mark.parametrize("size", SIZES)
def test_no_serious_or_critical_violation_on_any_page(browser, product, world, support_agent, size,  # noqa: F811
                                                      axe_source):
    browser.driver.set_script_timeout(60)

    def check(path):
        browser.driver.execute_script(axe_source)
        return browser.driver.execute_async_script(RUN)

    assert failures(browser, world, support_agent, size, check) == {}


@pytest.mark.parametrize("size", SIZES)
def test_the_guest_ticket_page_has_no_serious_violation(browser, product, web_mailbox, axe_source, size):
    """The guest's page, on the main front end now, in both of its views: the code steps and the ticket."""
    browser.driver.set_window_size(*SIZES[size])
    browser.driver.set_script_timeout(60)
    data.verified_guest(browser, product, web_mailbox, "Accessible guest page")
    browser.driver.execute_script(axe_source)
    assert browser.driver.execute_async_script(RUN) == [], "the verified ticket view"
    browser.driver.delete_all_cookies()
    browser.driver.refresh()  # the bare address without the cookie: the page explains the missing link
    browser.visible("#error")
    browser.driver.execute_script(axe_source)
    assert browser.driver.execute_async_script(RUN) == [], "the explained refusal"
