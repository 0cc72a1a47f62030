"""Which events tell whom what, in which language, and what the emails look like (no I/O)."""
import email
import email.policy
import json
import re
import string

import pytest

from services.notifications import texts
from services.notifications.mail import _wire_bytes, build_message
from services.notifications.notices import choose_locale, compose
from shared.consumer import backoff_seconds
from shared.events import Envelope, InvalidEvent
from shared.locales import LOCALES, normalize_locale
from tests.notifications.support import (
    box_granted,
    code_requested,
    message_added,
    registered,
    requester,
    status_changed,
    ticket_created,
    video_booked,
)


def test_agent_replies_and_requests_notify_the_requester():
    reply = compose(message_added("12345678", requester(1)))
    assert (reply.topic, reply.kind, reply.audience.user_id, reply.page) == \
        ("ticket_reply", "ticket_updates", 1, "/support/tickets/12345678")
    assert reply.for_inbox and not reply.guest_ticket
    assert compose(message_added("12345678", requester(1), kind="info_request")).topic == "ticket_info_request"


@pytest.mark.parametrize("envelope", [
    message_added("1", requester(1), kind="note"),
    message_added("1", requester(1), author_role="customer"),
    message_added("1", requester(1), kind="event", author_role="system"),
    status_changed("1", requester(1), "awaiting_user"),
    status_changed("1", requester(1), "open", old_status="resolved"),
    ticket_created("1", requester(1)),
    registered(1, "a@example.com"),
])
def test_events_that_tell_nobody_anything(envelope):
    assert compose(envelope) is None


def test_guests_get_emails_only_with_their_ticket():
    created = compose(ticket_created("12345678", requester(None, "guest@example.com")))
    assert created.topic == "guest_ticket_created" and created.guest_ticket and not created.for_inbox
    resolved = compose(status_changed("12345678", requester(None, "guest@example.com"), "resolved"))
    assert resolved.topic == "ticket_resolved" and resolved.guest_ticket


def test_codes_are_security_messages_for_the_address():
    notice = compose(code_requested("guest@example.com", "123456", locale="es"))
    assert notice.kind == "security" and not notice.for_inbox and not notice.guest_ticket
    assert notice.audience.email == "guest@example.com" and notice.params["code"] == "123456"
    video = compose(code_requested("guest@example.com", "654321", purpose="video_calls", number=None))
    assert video.topic == "verification_code_video" and video.page == "/support/video-calls"


def test_video_and_reward_kinds():
    booked = compose(video_booked(5, "12345678", requester(3)))
    assert booked.kind == "video_calls" and booked.params["slot"] == "2025-03-01 14:00 UTC"
    box = compose(box_granted(3))
    assert box.kind == "rewards" and box.audience.user_id == 3 and box.audience.email is None


@pytest.mark.parametrize("raw, expected", [("es", "es"), ("es-MX", "es"), ("es_AR", "es"), ("zh-Hant", "zh-Hant"),
                                           ("zh-TW", "zh-Hant"), ("zh_Hant_HK", "zh-Hant"), ("en-GB", "en"),
                                           ("fr", None), ("", None), (None, None), ("esperanto", None)])
def test_locales(raw, expected):
    assert normalize_locale(raw) == expected


def test_locale_choice_falls_back_in_order():
    assert choose_locale("fr", "es", "zh-Hant") == "es"
    assert choose_locale(None, "de") == "en"


def test_every_topic_has_every_text_in_every_language():
    params = {"number": "12345678", "code": "123456", "slot": "2025-03-01 14:00 UTC", "previous_slot": "",
              "asset": "BTC", "amount": "0.0001", "milestone": "app_installed", "into_number": "23456789",
              "count": 2, "numbers": "12345678, 23456789"}
    for locale in LOCALES:
        catalogue = texts.catalogue(locale)
        assert set(catalogue["topics"]) == texts.topics(), locale
        assert set(catalogue["common"]) == set(texts.catalogue("en")["common"]), locale
        for topic, fields in catalogue["topics"].items():
            assert set(fields) == set(texts.FIELDS), (locale, topic)
            names = {name for value in fields.values() for _, name, _, _ in string.Formatter().parse(value) if name}
            assert names <= set(params), (locale, topic, names)
            words = texts.text(topic, locale, params)
            assert "{" not in words.subject + words.title + words.body


def test_email_parts_headers_and_code_in_plain_text():
    words, plain, html = texts.render_email("verification_code_ticket", "en", {"code": "482913", "number": "1"},
                                            "https://support.example/support/tickets/1?t=abc", security=True)
    built = build_message(sender="no-reply@support.example", sender_name="Support", recipient="g@example.com",
                          subject=words.subject, plain=plain, html=html, msgid="<x@support.example>", locale="en")
    message = email.message_from_bytes(_wire_bytes(built), policy=email.policy.default)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] == "Support <no-reply@support.example>"
    assert message.get_content_type() == "multipart/alternative"
    plain_part = message.get_body(preferencelist=("plain",)).get_content()
    assert "482913" in plain_part and "https://support.example/support/tickets/1?t=abc" in plain_part
    assert "<a href=\"https://support.example/support/tickets/1?t=abc\"" in \
        message.get_body(preferencelist=("html",)).get_content()


def test_html_escapes_and_wire_format_stuffs_dots():
    words, plain, html = texts.render_email("referral_reward_credited", "en",
                                            {"asset": "<script>", "amount": "1"}, "https://x/a?b=1&c=2",
                                            security=False)
    assert "<script>" not in html and "&lt;script&gt;" in html and "b=1&amp;c=2" in html
    message = build_message(sender="no-reply@x", sender_name=None, recipient="a@example.com", subject="s",
                            plain="line\n.starts with a dot\n", html="<p>x</p>", msgid="<1@x>", locale="en")
    wire = _wire_bytes(message)
    assert re.search(rb"^\.\.starts with a dot\r$", wire, re.M) or b"=2Estarts" in wire
    assert wire.endswith(b"\r\n") and b"\r\n.\r\n" not in wire


def test_the_one_parser_reads_what_producers_send_and_refuses_the_rest():
    envelope = message_added("12345678", requester(1))
    assert Envelope.from_dict(json.loads(envelope.to_json())) == envelope
    for bad in ({"id": "x"}, {"id": "7b0f9f8e-58e4-4f3c-9a2b-6f3f3f3f3f3f", "type": "nope.v1",
                              "occurred_at": "2025-01-01T00:00:00Z", "data": {}}, [], "x"):
        with pytest.raises(InvalidEvent):
            Envelope.from_dict(bad)
    broken = envelope.to_dict()
    broken["data"]["requester"] = {"kind": "alien"}
    with pytest.raises(InvalidEvent):
        Envelope.from_dict(broken)


def test_default_backoff_outlasts_a_minute_of_smtp_outage():
    from services.notifications import config

    settings = config.settings()
    total = sum(backoff_seconds(attempt, settings["BACKOFF_BASE"]) for attempt in range(settings["MAX_RETRIES"]))
    assert settings["MAX_RETRIES"] == 8 and total > 120


def test_a_notices_times_read_as_the_pages_write_dates_in_each_language():
    from services.notifications.texts import local_time, text

    assert local_time("2025-03-01 14:00 UTC", "en") == "Mar 1, 2025, 2:00 PM UTC"
    assert local_time("2025-03-01 09:05 UTC", "en") == "Mar 1, 2025, 9:05 AM UTC"
    assert local_time("2025-12-24 00:30 UTC", "es") == "24 dic 2025, 00:30 UTC"
    assert local_time("2025-03-01 14:00 UTC", "zh-Hant") == "2025年3月1日 下午2:00 UTC"
    assert local_time("not a time", "es") == "not a time"
    params = {"number": "12345678", "slot": "2025-03-01 14:00 UTC", "previous_slot": ""}
    assert text("video_call_booked", "es", params).title == "Videollamada programada para el 1 mar 2025, 14:00 UTC"
    assert "2025-03-01" not in text("video_call_booked", "en", params).title
