"""The passage of a help article that answers a question: what the chat helper quotes.

An article is an introduction and sections under headings (`<h2>`/`<h3>`). The passage
is the section whose heading the question names beyond the article's subject ("my deposit
is missing, how do I check Capital Flows" quotes "3. Check Capital Flows" with its text); otherwise the introduction followed by the
steps, the headings in order, so that the reader sees what to do before opening the
article. Lines are the article's own sentences and list items, never rewritten.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import nh3

from services.tickets.help_center.text import Query, cjk_bigrams, fold, is_cjk, spanish_stem

BLOCK = re.compile(r"<(h2|h3|p|li)\b[^>]*>(.*?)</\1>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
MAX_CHARS = 700
BULLET = "\u2022 "


@dataclass
class Section:
    heading: str | None
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(([self.heading] if self.heading else []) + self.lines)


def sections(body: str) -> list[Section]:
    """The article as its introduction (heading None) and its headed sections, in order."""
    cleaned = nh3.clean(body, tags={"h2", "h3", "p", "li", "ul", "ol"})
    found = [Section(None)]
    for match in BLOCK.finditer(cleaned):
        tag, inner = match.group(1).lower(), " ".join(html.unescape(TAG.sub(" ", match.group(2))).split())
        if not inner:
            continue
        if tag in ("h2", "h3"):
            found.append(Section(inner))
        else:
            found[-1].lines.append(BULLET + inner if tag == "li" else inner)
    return [section for section in found if section.heading or section.lines]


def _matches(term: str, text: str, locale: str) -> bool:
    """Whether a search term of the question occurs in folded text (word forms allowed)."""
    if locale == "zh-Hant" and all(is_cjk(char) for char in term):
        return term in text
    stem = spanish_stem(term) if locale == "es" else fold(term)
    # English and Spanish word forms share their start: "withdrawals" -> "withdrawal".
    return fold(stem[:max(4, len(stem) - 2)]) in text


def _named(section: Section, query: Query, title: str) -> int:
    """How many of the question's terms the section's heading holds beyond the article's title
    (a heading that only repeats the article's subject, "fees" in a fees article, names nothing)."""
    heading, title = fold(section.heading or ""), fold(title)
    terms = query.terms
    if query.locale == "zh-Hant":
        terms = tuple(t for term in terms for t in (cjk_bigrams(term) if all(is_cjk(c) for c in term) else [term]))
    return sum(1 for term in set(terms)
               if _matches(term, heading, query.locale) and not _matches(term, title, query.locale))


def _cut(lines: list[str]) -> str:
    """The lines that fit in MAX_CHARS (at least the first one, shortened at a sentence if it must be)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if kept and size + len(line) > MAX_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    if size > MAX_CHARS and len(kept) == 1:
        first = kept[0][:MAX_CHARS]
        end = max(first.rfind(". "), first.rfind("。"))
        kept[0] = first[:end + 1] if end > 0 else first.rsplit(" ", 1)[0] + "…"
    return "\n".join(kept)


def passage(body: str, query: Query, title: str = "") -> str:
    """The part of an article body that answers `query`, as plain text lines."""
    parts = sections(body)
    if not parts:
        return ""
    headed = [section for section in parts if section.heading]
    named = max(headed, key=lambda section: _named(section, query, title), default=None)
    # A Chinese heading shares a character pair with many questions ("到帳"): it takes two.
    if named is not None and _named(named, query, title) >= (2 if query.locale == "zh-Hant" else 1):
        return _cut([named.heading, *named.lines])
    intro = parts[0].lines if parts[0].heading is None else []
    steps = [BULLET + section.heading for section in headed]
    if not intro and not steps:
        return ""
    if not steps:  # one section without headings: its paragraphs and lists
        return _cut(intro)
    return _cut(intro[:2] + steps)
