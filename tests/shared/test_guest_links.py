"""Guest links: signed for this purpose, bound to ticket and email, 30 days, on the injected clock."""
import datetime as dt

import pytest

from shared import clock
from shared.guest_links import LinkExpired, LinkInvalid, sign_ticket_link, ticket_link, verify_ticket_link

SECRET = "link-secret-" + "l" * 20


def test_a_link_binds_its_ticket_and_email():
    token = sign_ticket_link("12345678", "Guest@Example.com", SECRET)
    assert verify_ticket_link(token, "12345678", SECRET) == "guest@example.com"
    with pytest.raises(LinkInvalid):
        verify_ticket_link(token, "87654321", SECRET)
    with pytest.raises(LinkInvalid):
        verify_ticket_link(token, "12345678", "another-secret-" + "x" * 20)
    with pytest.raises(LinkInvalid):
        verify_ticket_link(token[:-2] + "xx", "12345678", SECRET)


def test_links_age_by_the_injected_clock():
    clock.clock.advance(dt.timedelta(days=100))
    token = sign_ticket_link("12345678", "g@example.com", SECRET)
    clock.clock.advance(dt.timedelta(days=29, hours=23))
    assert verify_ticket_link(token, "12345678", SECRET) == "g@example.com"
    clock.clock.advance(dt.timedelta(hours=2))
    with pytest.raises(LinkExpired):
        verify_ticket_link(token, "12345678", SECRET)


def test_the_link_has_the_public_form():
    link = ticket_link("https://support.example/", "12345678", "g@example.com", SECRET)
    assert link.startswith("https://support.example/support/tickets/12345678?t=")
