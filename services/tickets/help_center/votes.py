""""Was this helpful?": readers' votes on help articles, one per person we can tell apart."""
from __future__ import annotations

import peewee

from services.tickets.help_center.models import HelpArticle, HelpVote
from services.tickets.models import db
from shared import clock
from shared.internal_auth import Caller


def voter_key(caller: Caller) -> str | None:
    """One vote per person we can tell apart; anonymous readers each add one."""
    if caller.kind == "user" and caller.user_id is not None:
        return f"user:{caller.user_id}"
    if caller.kind == "guest" and caller.email:
        return f"guest:{caller.email.lower()}"
    return None


def vote(article: HelpArticle, caller: Caller, helpful: bool, locale: str) -> HelpVote:
    """Record (or change) the caller's vote on an article."""
    key = voter_key(caller)
    now = clock.now()
    if key is not None:
        existing = HelpVote.get_or_none((HelpVote.article == article) & (HelpVote.voter == key))
        if existing is not None:
            existing.helpful, existing.locale, existing.updated_at = helpful, locale, now
            existing.save()
            return existing
    try:
        with db.atomic():
            return HelpVote.create(article=article, voter=key, helpful=helpful, locale=locale,
                                   created_at=now, updated_at=now)
    except peewee.IntegrityError:
        # The same person's first vote, twice at once: the later one wins.
        HelpVote.update(helpful=helpful, locale=locale, updated_at=now).where(
            (HelpVote.article == article) & (HelpVote.voter == key)).execute()
        return HelpVote.get((HelpVote.article == article) & (HelpVote.voter == key))


def vote_counts(article_ids: list[int]) -> dict[int, dict]:
    counts = {article_id: {"helpful": 0, "not_helpful": 0} for article_id in article_ids}
    if not article_ids:
        return counts
    rows = (HelpVote.select(HelpVote.article, HelpVote.helpful, peewee.fn.COUNT(HelpVote.id).alias("n"))
            .where(HelpVote.article.in_(article_ids)).group_by(HelpVote.article, HelpVote.helpful).tuples())
    for article_id, helpful, n in rows:
        counts[article_id]["helpful" if helpful else "not_helpful"] = n
    return counts
