"""A guest's satisfaction rating through the gateway's own app in front of a running tickets service,
the clock moved by the test (it is injectable): refused before the resolution, changed within 7 days
of it, locked after; the guest page's form gives the same answers, and nothing rates on a GET."""
import datetime as dt

from shared import clock
from tests.guest.conftest import last_code, link_token
from tests.guest.test_gateway import verified_guest

START = dt.datetime(2027, 3, 1, 10, 0)
LOCKED = "Your rating is final: 7 days have passed since the resolution."


def new_session(client, number: str) -> dict:
    """A new guest session for the ticket (the last one lasted 24 hours): a code, then the token."""
    t = link_token(number)
    assert client.post(f"/api/v1/guest/tickets/{number}/verification-code", json={"t": t}).status_code == 202
    opened = client.post(f"/api/v1/guest/tickets/{number}/session", json={"t": t, "code": last_code(number)})
    assert opened.status_code == 200, opened.json
    return {"Authorization": "Bearer " + opened.json["guest_token"]}


def test_a_guest_rates_through_the_gateway_until_the_rating_locks(make_stack, support):
    clock.clock.freeze(START)
    stack = make_stack()
    browser, api = stack.client(), stack.client()  # the page's cookies; the API's bearer token
    number, session = verified_guest(browser)
    bearer = {"Authorization": "Bearer " + session.json["guest_token"]}

    def rate(rating, **extra):
        return api.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": rating, **extra}, headers=bearer)

    early = rate("good")
    assert (early.status_code, early.json["error"]["code"]) == (409, "not_resolved")
    clock.clock.advance(dt.timedelta(hours=2))
    assert support.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    assert browser.get(f"/support/tickets/{number}/rating?rating=good").status_code == 405  # never by a GET
    assert api.get(f"/api/v1/tickets/{number}/satisfaction", headers=bearer).status_code == 405
    assert api.get(f"/api/v1/tickets/{number}", headers=bearer).json["satisfaction"] is None

    first = rate("bad", comment="Slow")
    assert first.status_code == 201, first.json
    assert first.json["satisfaction"]["changeable_until"] == clock.isoformat(START + dt.timedelta(days=7, hours=2))
    clock.clock.advance(dt.timedelta(days=6, hours=23))  # the 24-hour guest session has ended
    assert rate("good").status_code == 401
    browser = stack.client()  # a browser drops the old cookies at their Max-Age of 24 hours
    bearer = new_session(browser, number)
    changed = rate("good")
    assert (changed.status_code, changed.json["satisfaction"]["rating"]) == (200, "good")

    clock.clock.advance(dt.timedelta(hours=1, seconds=1))  # 7 days and a second after the resolution
    locked = rate("bad")
    assert (locked.status_code, locked.json["error"]["code"]) == (409, "rating_locked")
    view = api.get(f"/api/v1/tickets/{number}", headers=bearer).json["satisfaction"]
    assert (view["rating"], view["locked"]) == ("good", True)
    page = browser.get(f"/support/tickets/{number}")
    assert page.status_code == 200 and LOCKED in page.get_data(as_text=True)
    assert 'id="rating-form"' not in page.get_data(as_text=True)
    form = browser.post(f"/support/tickets/{number}/rating",
                        data={"rating": "bad", "csrf_token": browser.get_cookie("csrf_token").value})
    assert form.status_code == 409 and 'data-code="rating_locked"' in form.get_data(as_text=True)
    assert api.get(f"/api/v1/tickets/{number}", headers=bearer).json["satisfaction"]["rating"] == "good"
