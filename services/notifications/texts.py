"""The words of every notification, per language, from `templates/<locale>/messages.toml`,
and the email layouts (`templates/email.txt.j2`, `templates/email.html.j2`)."""
from __future__ import annotations

import dataclasses
import functools
import tomllib
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("en", "es", "zh-Hant")
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


def render_email(topic: str, locale: str, params: dict, link: str, *, security: bool) -> tuple[Text, str, str]:
    """The email's texts, plain-text part and HTML part."""
    words = text(topic, locale, params)
    context = {"text": words, "common": common(locale), "link": link, "locale": locale, "security": security}
    environment = _environment()
    return (words, environment.get_template("email.txt.j2").render(context),
            environment.get_template("email.html.j2").render(context))
