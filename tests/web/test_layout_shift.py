"""Layout shift, measured as Lighthouse does in the browser: PerformanceObserver's
`layout-shift` entries, those not right after an input, summed, from the first paint until
the page's data is shown and nothing has moved for a moment. At most 0.1 on every page,
at a desktop and a phone size (loading placeholders are sized like what replaces them)."""
from __future__ import annotations

import time

import pytest

from tests.web.test_languages import world  # noqa: F401  (the fixture: a customer with data on every page)
from tests.web.walk import SIZES, failures

pytestmark = pytest.mark.e2e
LIMIT = 0.1
QUIET = 1.0  # seconds without a new shift before the page counts as settled
OBSERVE = """
window.__cls = 0; window.__shifts = []; window.__lastShift = performance.now();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__cls += entry.value;
    window.__lastShift = performance.now();
    window.__shifts.push([entry.value, entry.sources.map(s => (s.node ? (s.node.id || s.node.className || s.node.nodeName) : '?')
      + ' ' + Math.round(s.previousRect.y) + '>' + Math.round(s.currentRect.y)
      + (s.node && s.node.outerHTML ? ' ' + s.node.outerHTML.slice(0, 70) : '')).join(' | ')]);
  }
}).observe({type: 'layout-shift', buffered: true});
"""
READ = "return [window.__cls || 0, performance.now() - (window.__lastShift || 0), window.__shifts || []];"


def settled_shift(browser, timeout: float = 10.0) -> tuple[float, list]:
    deadline = time.monotonic() + timeout
    while True:
        total, quiet_ms, shifts = browser.driver.execute_script(READ)
        if quiet_ms >= QUIET * 1000 or time.monotonic() > deadline:
            return total, shifts
        time.sleep(0.1)


@pytest.fixture
def observed(browser):
    script = browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVE})
    yield browser
    browser.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_a_shifting_page_is_measured(observed):
    """The measure can fail: content pushed down after the first paint counts."""
    observed.open("/login")
    observed.driver.execute_script("""
      const block = document.createElement('div'); block.style.height = '90vh'; block.id = 'pushed-in';
      setTimeout(() => document.querySelector('main').prepend(block), 300);""")
    observed.wait().until(lambda d: d.execute_script("return window.__shifts.length > 0"))
    assert settled_shift(observed)[0] > LIMIT


@pytest.mark.parametrize("size", SIZES)
def test_no_page_shifts_more_than_a_tenth(observed, product, world, support_agent, size):  # noqa: F811
    def check(path):
        total, shifts = settled_shift(observed)
        return (round(total, 3), shifts[:5]) if total > LIMIT else None

    found = failures(observed, world, support_agent, size, check)
    assert not found, "\n".join(f"{path}: {what}" for path, what in found.items())
