"""Dates on server-rendered pages, in the same shape the scripts give them (core.js
`formatDateTime`: the page language's `Intl.DateTimeFormat`, medium date and short time).

The server does not know the reader's time zone, so it writes the time in UTC and says so;
app.js rewrites every `<time data-local>` in the browser's own zone once the page loads.
"""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}


def format_datetime(value: dt.datetime, lang: str) -> str:
    """`Dec 6, 2026, 8:05 AM` / `6 dic 2026, 8:05` / `2026年12月6日 上午8:05`, as Intl writes them."""
    if lang == "zh-Hant":
        half = "上午" if value.hour < 12 else "下午"
        return f"{value.year}年{value.month}月{value.day}日 {half}{(value.hour % 12) or 12}:{value.minute:02d}"
    if lang == "es":
        return f"{value.day} {MONTHS['es'][value.month - 1]} {value.year}, {value.hour}:{value.minute:02d}"
    half = "AM" if value.hour < 12 else "PM"
    return (f"{MONTHS['en'][value.month - 1]} {value.day}, {value.year}, "
            f"{(value.hour % 12) or 12}:{value.minute:02d}\u202f{half}")


def local_datetime(iso: str | None, lang: str) -> Markup:
    """A `<time>` element for an API timestamp (ISO 8601), in the page's language."""
    if not iso:
        return Markup("")
    try:
        value = dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return Markup("<time>{}</time>").format(iso)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    text = format_datetime(value, lang) + " UTC"
    return Markup('<time datetime="{}" data-local>{}</time>').format(escape(iso), text)
