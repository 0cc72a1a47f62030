"""The languages the product speaks, and how a request's or an account's tag maps onto them."""
from __future__ import annotations

from collections.abc import Iterable

LOCALES = ("en", "es", "zh-Hant")
DEFAULT_LOCALE = "en"


def normalize_locale(value: str | None) -> str | None:
    """One of LOCALES, or None: `es-MX` -> `es`, `zh_TW` -> `zh-Hant`."""
    if not value:
        return None
    lowered = value.replace("_", "-").lower()
    for prefix, locale in (("zh", "zh-Hant"), ("es", "es"), ("en", "en")):
        if lowered == prefix or lowered.startswith(prefix + "-"):
            return locale
    return None


def from_accept_language(tags: Iterable[str]) -> str | None:
    """The first of the browser's languages (best first) that the product speaks."""
    for tag in tags:
        locale = normalize_locale(tag)
        if locale:
            return locale
    return None
