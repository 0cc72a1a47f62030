"""The inbox consumer's event handlers: plain functions in one table (HANDLERS), run by the idempotent
batching consumer inside its transaction with the batch of events at hand (the address book,
then each event's notices, composed once here, with one inbox item per notice an account takes).

What `notify` returns (a `fanout.Fanout` per event) goes, before the commit, to the email and push
channels as jobs carrying the notices (fanout.py), and after it to the live stream. Email and Web Push
are their own queues (see `email_channel.py`, `push.py`), so an SMTP server or a push service that is
down never holds back or rolls back the inbox.
"""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from services.notifications import preferences, texts
from services.notifications.agents import record_agents
from services.notifications.anti_phishing import record_anti_phishing_codes
from services.notifications.fanout import Fanout
from services.notifications.models import ALL_KINDS, Contact, Notification, Preference
from services.notifications.notices import NOTIFYING_TYPES, Notice, choose_locale
from services.notifications.profiles import record_profiles, unless_chosen
from services.notifications.recipients import notices_for
from shared import clock
from shared.bulk import insert_rows, select_in
from shared.events import Envelope, EventType

CHOICE_COLUMNS = tuple(f"{channel}_{kind}" for channel in preferences.CHANNELS for kind in ALL_KINDS)


def record_contacts(envelopes: list[Envelope]) -> list:
    """The address book: an account's email and language, learnt from `user.registered.v1` (an entry
    made earlier by its anti-phishing code or its language gets them now, and keeps the code and the
    language chosen)."""
    for envelope in envelopes:
        data = envelope.data
        values = {"email": data["email"].lower(), "updated_at": clock.now()}
        locale = choose_locale(data.get("locale"))
        (Contact.insert(user_id=data["user_id"], locale=locale, **values)
         .on_conflict(conflict_target=[Contact.user_id], update={**values, "locale": unless_chosen(locale)})
         .execute())
    return []


def contact_of(user_id: int) -> Contact | None:
    return Contact.get_or_none(Contact.user_id == user_id)


# Where inbox items link to: this deployment's PUBLIC_URL, set by `configure` when a worker starts.
SITE = {"public_url": ""}


def configure(public_url: str) -> None:
    SITE["public_url"] = public_url.rstrip("/")


def notify(envelopes: list[Envelope]) -> list[Fanout]:
    """Each event's notices, composed once for every channel, with the account's email choice in force now
    (`Notice.by_email`), and its inbox items."""
    composed, choices = decided_notices(envelopes)
    items = add_inbox_items([(envelope, notice) for envelope, notices in composed for notice in notices
                             if notice.for_inbox], choices)
    by_event: dict[str, list] = {}
    for item in items:
        by_event.setdefault(item.event_id, []).append(item)
    return [Fanout(envelope, notices, by_event.get(envelope.id, [])) for envelope, notices in composed if notices]


def replay(envelopes: list[Envelope]) -> list[Fanout]:
    """The fan-out of events handled before that come again, for their email and push jobs only (the batch that
    handled them may have committed before the broker confirmed its jobs): their notices composed again (with the
    preferences in force now), with the inbox items they made."""
    composed, _ = decided_notices(envelopes)
    items: dict[str, list] = {}
    for event_id, user_id in select_in(Notification, ("event_id", "user_id"), "event_id", [e.id for e in envelopes]):
        items.setdefault(event_id, []).append(SimpleNamespace(user_id=user_id))
    return [Fanout(envelope, notices, items.get(envelope.id, [])) for envelope, notices in composed if notices]


def decided_notices(envelopes: list[Envelope]) -> tuple[list[tuple[Envelope, list[Notice]]], dict]:
    """Each event's notices, an account's with its email choice decided (security ones always go), and the
    preference rows read for that (`choices_of`)."""
    composed = [(envelope, notices_for(envelope)) for envelope in envelopes]
    choices = choices_of({notice.audience.user_id for _, notices in composed for notice in notices
                          if notice.for_inbox})

    def decided(notice: Notice) -> Notice:
        if not notice.for_inbox:
            return notice
        allowed = preferences.row_allows(choices.get(notice.audience.user_id), "email", notice.kind)
        return dataclasses.replace(notice, by_email=allowed)

    return [(envelope, [decided(notice) for notice in notices]) for envelope, notices in composed], choices


def choices_of(user_ids: set) -> dict:
    """The preference rows of these accounts (push and email of every kind), by user; no row: the defaults."""
    return {row[0]: SimpleNamespace(**dict(zip(CHOICE_COLUMNS, row[1:], strict=True)))
            for row in select_in(Preference, ("user_id", *CHOICE_COLUMNS), "user_id", user_ids)}


def add_inbox_items(notices: list[tuple[Envelope, Notice]], choices: dict) -> list[SimpleNamespace]:
    """One item per notice an account wants by push (`choices`: `choices_of` them); a few statements per batch.
    Returns the items as the live stream announces them."""
    if not notices:
        return []
    user_ids = {notice.audience.user_id for _, notice in notices}
    locales = dict(select_in(Contact, ("user_id", "locale"), "user_id", user_ids))
    rows, now = [], clock.now()
    for envelope, notice in notices:
        user_id = notice.audience.user_id
        if not preferences.row_allows(choices.get(user_id), "push", notice.kind):
            continue
        words = texts.text(notice.topic, choose_locale(locales.get(user_id), notice.audience.locale), notice.params)
        rows.append({"user_id": user_id, "event_id": envelope.id, "kind": notice.kind, "topic": notice.topic,
                     "title": words.title[:200], "body": words.body, "link": SITE["public_url"] + notice.page,
                     "created_at": now})
    created = {(event_id, user_id): item_id for item_id, event_id, user_id
               in insert_rows(Notification, rows, ("id", "event_id", "user_id"))}
    return [SimpleNamespace(id=created[row["event_id"], row["user_id"]], read_at=None, **row) for row in rows]


# Event type -> handlers; each handler takes the batch's events of its types, in order. The address book
# comes first, so a batch's items already speak its new users' (and changed languages') language.
HANDLERS: dict[str, list] = {
    EventType.USER_REGISTERED: [record_contacts],
    EventType.USER_ANTI_PHISHING_CODE_CHANGED: [record_anti_phishing_codes],
    EventType.AGENT_PROFILE_CHANGED: [record_agents],
    EventType.USER_PROFILE_CHANGED: [record_profiles],
    **{event_type: [notify] for event_type in sorted(NOTIFYING_TYPES)},
}
