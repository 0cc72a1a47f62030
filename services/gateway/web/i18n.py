"""The web pages' message catalogues (`i18n/{en,es,zh-Hant}.json`) and the choice of language.

Every string a page shows comes from a catalogue, on the server (templates) and in
the browser (the page's catalogue travels with it). A key that a catalogue lacks
renders as `⟦key⟧`, which the tests look for, instead of silently falling back.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import request

from shared.locales import DEFAULT_LOCALE, from_accept_language, normalize_locale
from shared.locales import LOCALES as LANGUAGES  # a catalogue for each

log = logging.getLogger(__name__)

LANG_COOKIE = "lang"
CATALOGUE_DIR = Path(__file__).parent / "i18n"
MISSING = "⟦{}⟧"


def load_catalogues() -> dict[str, dict[str, str]]:
    return {lang: json.loads((CATALOGUE_DIR / f"{lang}.json").read_text("utf-8")) for lang in LANGUAGES}


CATALOGUES = load_catalogues()


def normalize(tag: str | None) -> str | None:
    """One of our languages for a locale tag: `es-MX` -> `es`, `zh-TW`/`zh_Hant` -> `zh-Hant`."""
    return normalize_locale(tag.strip() if tag else None)


def pick_language(account_locale: str | None = None) -> str:
    """`?lang=` (a link), else the remembered switch (cookie), else the account's locale,
    else the browser's `Accept-Language`, else English."""
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE), account_locale):
        language = normalize(candidate)
        if language:
            return language
    return from_accept_language(request.accept_languages.values()) or DEFAULT_LOCALE


class Texts:
    """The catalogue of one language; `texts("key", name=...)` fills `{name}` placeholders."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.catalogue = CATALOGUES[lang]

    def __call__(self, key: str, **values) -> str:
        text = self.catalogue.get(key)
        if text is None:
            log.warning("untranslated key", extra={"key": key, "lang": self.lang})
            return MISSING.format(key)
        return text.format(**values) if values else text
