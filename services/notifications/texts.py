"""The words of every notification, in each of `shared.locales.LOCALES`, from
`templates/<locale>/messages.toml`, and the email layouts (`templates/email.txt.j2`, `templates/email.html.j2`)."""
from __future__ import annotations

import dataclasses
import functools
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


def text(topic: str, locale: str, params: dict) -> Text:
    """The topic's words in `locale` (English for a string a translation lacks), filled in."""
    localized = catalogue(locale)["topics"].get(topic, {})
    english = catalogue("en")["topics"][topic]
    return Text(**{name: localized.get(name, english[name]).format(**params) for name in FIELDS})


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
