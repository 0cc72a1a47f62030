"""The three message catalogues say the same things: the same keys, the same placeholders,
every key a page uses, every value of the API's enumerations, and translations that
are not English left in place."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.gateway.web import i18n, pages

WEB = Path(pages.__file__).parent
CATALOGUES = i18n.load_catalogues()
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Texts that are the same in every language on purpose: language names in their own
# language, numbers and units, symbols, codes.
SAME_EVERYWHERE = {"lang.en", "lang.es", "lang.zh-Hant", "size.kib", "size.mib", "reward.crypto",
                   "ticket.number_short", "ticket.title", "age.minutes", "age.hours", "age.days", "filter.no",
                   "agent.age_over", "author.support_named", "spoken.hi"}
PREFIXES = {key.split(".", 1)[0] for key in CATALOGUES["en"]}


def used_keys() -> set[str]:
    """Every quoted `prefix.name` string in the templates and scripts whose prefix is a catalogue's."""
    found = set()
    for path in list((WEB / "templates").rglob("*.html")) + list((WEB / "static").rglob("*.js")):
        for literal in re.findall(r"[\"']([a-z_]+\.[A-Za-z0-9_\-]+)[\"']", path.read_text("utf-8")):
            if literal.split(".", 1)[0] in PREFIXES and not literal.endswith("_") \
                    and not literal.endswith((".css", ".js", ".svg", ".png", ".json")):
                found.add(literal)
    return found


def test_the_three_catalogues_have_the_same_keys():
    english = set(CATALOGUES["en"])
    for lang in ("es", "zh-Hant"):
        assert set(CATALOGUES[lang]) == english, (lang, set(CATALOGUES[lang]) ^ english)


def test_placeholders_match_across_languages():
    for key, text in CATALOGUES["en"].items():
        for lang in ("es", "zh-Hant"):
            assert set(PLACEHOLDER.findall(CATALOGUES[lang][key])) == set(PLACEHOLDER.findall(text)), (lang, key)


def test_no_value_is_empty_or_left_in_english():
    for lang in ("es", "zh-Hant"):
        for key, text in CATALOGUES[lang].items():
            assert text.strip(), (lang, key)
            if key not in SAME_EVERYWHERE:
                assert text != CATALOGUES["en"][key], f"{lang} {key} is still English: {text!r}"


def test_every_key_the_pages_use_exists():
    keys = used_keys()
    assert len(keys) > 300  # the scan found the pages' texts, not nothing
    missing = sorted(key for key in keys if key not in CATALOGUES["en"])
    assert not missing, missing


def test_every_key_is_used_by_some_page():
    """A key no page uses is a sentence nobody translates for nothing (dynamic prefixes aside)."""
    keys = used_keys()
    dynamic = ("status.", "category.", "department.", "kind.", "lang.", "tier.", "call_status.", "outcome.",
               "checklist.", "spoken.", "milestone.", "box_role.", "referral_reason.", "flow_type.", "flow_status.",
               "requester_kind.", "error.", "field_error.", "chat.state_", "agent.sent_", "error_page.", "guest.error_")
    unused = sorted(key for key in CATALOGUES["en"] if key not in keys and not key.startswith(dynamic))
    assert not unused, unused


@pytest.mark.parametrize("prefix, values", [
    ("status", "services.tickets.core.models:STATUSES"),
    ("category", "services.tickets.core.models:CATEGORIES"),
    ("call_status", "services.video.models:STATUSES"),
    ("outcome", "services.video.models:OUTCOMES"),
    ("spoken", "services.video.schemas:SPOKEN_LANGUAGES"),
    ("kind", "services.notifications.models:KINDS"),
    ("milestone", "services.referrals.models:MILESTONES"),
])
def test_every_value_of_the_apis_enumerations_has_words(prefix, values):
    import importlib

    module, name = values.split(":")
    for value in getattr(importlib.import_module(module), name):
        for lang in i18n.LANGUAGES:
            assert f"{prefix}.{value}" in CATALOGUES[lang], (lang, prefix, value)


def test_the_pages_offer_what_the_services_accept():
    from services.tickets.core.models import CATEGORIES, STATUSES
    from services.video.presenters import CHECKLIST
    from services.video.schemas import SPOKEN_LANGUAGES

    assert tuple(pages.CATEGORIES) == tuple(CATEGORIES)
    assert tuple(pages.TICKET_STATUSES) == tuple(STATUSES)
    assert tuple(pages.TRANSLATION_LANGUAGES) == tuple(SPOKEN_LANGUAGES)
    for key, _text in CHECKLIST:
        assert f"checklist.{key}" in CATALOGUES["en"]


def test_reasons_rewards_and_error_codes_have_words():
    from services.referrals.rules import REASON_MESSAGES

    for reason in REASON_MESSAGES:
        assert f"referral_reason.{reason}" in CATALOGUES["en"]
    for code in ("duplicate_ticket", "ticket_closed", "escalation_pending", "not_joinable", "slot_unavailable",
                 "invalid_code", "verification_locked", "file_too_large", "unsupported_file_type", "too_many_files",
                 "invalid_credentials", "email_taken", "csrf_failed", "rate_limited"):
        assert f"error.{code}" in CATALOGUES["en"], code


def test_a_missing_key_shows_as_such_instead_of_english():
    texts = i18n.Texts("es")
    assert texts("support.title") == "Centro de soporte"
    assert texts("ticket.title", number="123") == "Ticket 123"
    assert texts("no.such_key") == "⟦no.such_key⟧"


@pytest.mark.parametrize("tag, expected", [("es-MX", "es"), ("zh-TW", "zh-Hant"), ("zh_Hant", "zh-Hant"),
                                           ("en-GB", "en"), ("fr", None), ("", None), (None, None)])
def test_locale_tags_map_to_our_languages(tag, expected):
    assert i18n.normalize(tag) == expected
