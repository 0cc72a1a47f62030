"""Every page of the product in the browser, logged out, as a customer and as an agent, at a
desktop and a phone size: for the checks that hold on all of them (tests/web/test_accessibility.py,
tests/web/test_layout_shift.py). The pages and what shows that their data arrived are
tests/web/test_languages.py's."""
from __future__ import annotations

from collections.abc import Callable, Iterator

from tests.web import data
from tests.web.test_languages import PUBLIC_PAGES, agent_pages, customer_pages

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def every_page(browser, world, support_agent, size: str) -> Iterator[str]:
    """Open each page in turn (its data shown) and yield its path; the caller checks it."""
    browser.driver.set_window_size(*SIZES[size])
    for path, ready in PUBLIC_PAGES:
        yield from _open(browser, path, ready)
    browser.log_in_as(world["customer"].email, data.PASSWORD)
    for path, ready in customer_pages(world["number"]):
        yield from _open(browser, path, ready)
    browser.driver.delete_all_cookies()
    browser.log_in_as(support_agent.email, "agent password 1")
    for path, ready in agent_pages(world["number"]):
        yield from _open(browser, path, ready)


def _open(browser, path: str, ready: list[str]) -> Iterator[str]:
    browser.open(path)
    for selector in ready:
        browser.visible(selector)
    browser.settle()
    yield path


def failures(browser, world, support_agent, size: str, check: Callable[[str], object]) -> dict:
    """`check(path)` on every page; the pages where it found something, with what it found."""
    found = {}
    for path in every_page(browser, world, support_agent, size):
        result = check(path)
        if result:
            found[path] = result
    return found
