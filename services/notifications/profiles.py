"""The account's language (`user.profile_changed.v1`, from `PUT /api/v1/me`): its inbox items and emails are
composed in it from then on (every channel reads the language from the address book, `Contact`).

The change may come before the account's registration: it then makes the entry with the address unknown
(empty), and the registration fills the address in without undoing the language. A change older than the
one in force (an event retried late) changes nothing.
"""
from __future__ import annotations

import peewee

from services.notifications.models import Contact
from services.notifications.notices import choose_locale
from shared import clock
from shared.events import Envelope


def record_profiles(envelopes: list[Envelope]) -> list:
    for envelope in envelopes:
        changed_at = clock.parse_iso(envelope.occurred_at)
        values = {"locale": choose_locale(envelope.data["locale"]), "locale_changed_at": changed_at}
        newer = Contact.locale_changed_at.is_null() | (Contact.locale_changed_at <= changed_at)
        (Contact.insert(user_id=envelope.data["user_id"], email="", updated_at=clock.now(), **values)
         .on_conflict(conflict_target=[Contact.user_id], update=values, where=newer).execute())
    return []


def unless_chosen(locale: str):
    """The value of `Contact.locale` in an upsert that must not undo a language the account chose."""
    return peewee.Case(None, [(Contact.locale_changed_at.is_null(), locale)], Contact.locale)
