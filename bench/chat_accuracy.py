"""How often the chat helper answers with the right article, on a question set of its own in
three languages (bench/chat_questions.py), on a fresh tickets service with the shipped articles.

    .venv/bin/python bench/chat_accuracy.py [--database-url postgresql://postgres@127.0.0.1/test?schema=bench_chat]

top-1: the article the helper quotes (or, when it asks which one is meant, the first it names).
top-3: the right article among those it quotes, names or offers as quick replies.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_questions import QUESTIONS  # noqa: E402
from services.tickets.app import create_app  # noqa: E402
from services.tickets.chat import helper  # noqa: E402
from services.tickets.models import db  # noqa: E402


def offered(reply: helper.Answer) -> list[str]:
    """The articles of a reply, first the one it quotes or names first."""
    slugs = [link["slug"] for link in reply.articles]
    slugs += [quick["slug"] for quick in reply.quick_replies if quick["kind"] == "article"]
    return list(dict.fromkeys(slugs))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-chat-")
    url = args.database_url or f"sqlite:///{folder}/tickets.db"
    app = create_app({"DATABASE_URL": url, "ATTACHMENT_DIR": folder, "INTERNAL_TOKEN_SECRET": "bench-" + "x" * 32})
    top1, top3, asked, total = Counter(), Counter(), Counter(), Counter()
    misses = []
    with app.app_context(), db.connection_context():
        for locale, question, expected in QUESTIONS:
            reply = helper.answer(question, locale)
            slugs = offered(reply)
            total[locale] += 1
            top1[locale] += slugs[:1] == [expected]
            top3[locale] += expected in slugs[:3]
            asked[locale] += reply.passage is None and len(reply.articles) == 2
            if slugs[:1] != [expected]:
                misses.append((locale, question, expected, slugs[:3]))
    print(f"chat helper accuracy on {len(QUESTIONS)} questions ({url.split('?')[0].split(':')[0]})")
    print(f"{'language':10} {'questions':>9} {'top-1':>7} {'top-3':>7} {'clarified':>9}")
    for locale in [*sorted(total), "all"]:
        n = sum(total.values()) if locale == "all" else total[locale]
        one = sum(top1.values()) if locale == "all" else top1[locale]
        three = sum(top3.values()) if locale == "all" else top3[locale]
        clarified = sum(asked.values()) if locale == "all" else asked[locale]
        print(f"{locale:10} {n:>9} {one / n:>7.0%} {three / n:>7.0%} {clarified:>9}")
    for locale, question, expected, slugs in misses:
        print(f"  top-1 miss [{locale}] {question!r}: expected {expected}, got {slugs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
