"""The words of every notification, in each of `shared.locales.LOCALES`, from
`templates/<locale>/messages.toml`, and the email layouts (`templates/email.txt.j2`, `templates/email.html.j2`)."""
from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
FIELDS = ("subject", "title", "body", "action")


@dataclasses.dataclass(frozen=True)
class Text:
    subject: str
    title: str
    body: str
    action: str


@functools.cache
def catalogue(locale: str) -> dict:
    with open(TEMPLATES / locale / "messages.toml", "rb") as handle:
        return tomllib.load(handle)


def topics() -> set[str]:
    return set(catalogue("en")["topics"])


# A time in a notice's params (notices.format_slot: `2025-03-01 14:00 UTC`), written as the
# pages write dates in each language (Intl's medium style), in UTC since a notice has no time zone.
SLOT = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}) UTC$")
MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
          "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")}


def local_time(value: str, locale: str) -> str:
    """`2025-03-01 14:00 UTC` as `Mar 1, 2025, 2:00 PM UTC`, `1 mar 2025, 14:00 UTC` or `2025年3月1日 下午2:00 UTC`."""
    match = SLOT.match(value)
    if match is None:
        return value
    year, month, day, hour, minute = (int(part) for part in match.groups())
    if locale == "es":
        return f"{day} {MONTHS['es'][month - 1]} {year}, {hour:02d}:{minute:02d} UTC"
    twelve = hour % 12 or 12
    if locale == "zh-Hant":
        return f"{year}年{month}月{day}日 {'上午' if hour < 12 else '下午'}{twelve}:{minute:02d} UTC"
    return f"{MONTHS['en'][month - 1]} {day}, {year}, {twelve}:{minute:02d} {'AM' if hour < 12 else 'PM'} UTC"


def text(topic: str, locale: str, params: dict) -> Text:
    """The topic's words in `locale` (English for a string a translation lacks), filled in."""
    localized = catalogue(locale)["topics"].get(topic, {})
    english = catalogue("en")["topics"][topic]
    values = {key: local_time(value, locale) if isinstance(value, str) else value for key, value in params.items()}
    return Text(**{name: localized.get(name, english[name]).format(**values) for name in FIELDS})


def common(locale: str) -> dict:
    return {**catalogue("en")["common"], **catalogue(locale)["common"]}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              autoescape=jinja2.select_autoescape(["html.j2"]), keep_trailing_newline=True)


def render_email(topic: str, locale: str, params: dict, link: str, *, security: bool,
                 anti_phishing_code: str | None = None) -> tuple[Text, str, str]:
    """The email's texts, plain-text part and HTML part. Every email says what support never asks for;
    an account's shows its anti-phishing code first, when it set one."""
    words = text(topic, locale, params)
    words_in_common = common(locale)
    shown_code = words_in_common["anti_phishing_code"].format(code=anti_phishing_code) if anti_phishing_code else None
    context = {"text": words, "common": words_in_common, "link": link, "locale": locale, "security": security,
               "anti_phishing_code": shown_code}
    environment = _environment()
    return (words, environment.get_template("email.txt.j2").render(context),
            environment.get_template("email.html.j2").render(context))
