"""Macros: canned messages in English, Spanish and Traditional Chinese that an agent sends on a
ticket in the ticket's language, with the customer's name, the ticket number and the agent's name
filled in. A macro is a reply, a request for details or an internal note, and may resolve the ticket."""
from __future__ import annotations

import re

from services.tickets.core import workflow
from services.tickets.core.models import Message, Ticket
from services.tickets.core.secret_guard import refuse_wallet_secrets
from services.tickets.workspace.models import Macro
from shared import clock
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller
from shared.locales import DEFAULT_LOCALE, LOCALES

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PLACEHOLDERS = ("customer_name", "ticket_number", "agent_name")
COLUMNS = {"en": "body_en", "es": "body_es", "zh-Hant": "body_zh_hant"}
MAX_MACROS = 500


def _invalid(fields: dict) -> ApiError:
    return ApiError(400, "validation_error", "Some fields are missing or invalid.", {"fields": fields})


def check(fields: dict) -> dict:
    """The loaded body of a POST or PUT, checked further: blank texts, unknown placeholders and
    wallet secrets are refused, naming the field."""
    bodies = fields["bodies"]
    problems: dict[str, list[str]] = {}
    for locale, text in bodies.items():
        if text is None:
            continue
        if not text.strip():
            problems[locale] = ["Write the text, or leave this language out."]
            continue
        unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
        if unknown:
            problems[locale] = [f"Unknown placeholder {', '.join('{{' + n + '}}' for n in unknown)}; use "
                                f"{', '.join('{{' + n + '}}' for n in PLACEHOLDERS)}."]
    if problems:
        raise _invalid({"bodies": {locale: problems[locale] for locale in LOCALES if locale in problems}})
    refuse_wallet_secrets({"title": fields["title"],
                           **{f"bodies.{locale}": text for locale, text in bodies.items() if text}})
    return fields


def macro_dict(macro: Macro, locale: str | None = None) -> dict:
    bodies = {locale_: getattr(macro, column) for locale_, column in COLUMNS.items()}
    data = {"id": macro.id, "title": macro.title, "kind": macro.kind, "resolve": macro.resolve, "bodies": bodies,
            "updated_at": clock.isoformat(macro.updated_at)}
    if locale:
        data["has_locale"] = bool(bodies.get(locale))
        data["body"] = bodies.get(locale) or bodies[DEFAULT_LOCALE]
    return data


def listing(locale: str | None) -> list[dict]:
    """Every macro, by title; with a language, those written in it come first (the others would be
    sent in English)."""
    items = [macro_dict(m, locale) for m in Macro.select().order_by(Macro.title, Macro.id).limit(MAX_MACROS)]
    if locale:
        items.sort(key=lambda item: not item["has_locale"])
    return items


def get_macro(macro_id: int) -> Macro:
    macro = Macro.get_or_none(Macro.id == macro_id)
    if macro is None:
        raise not_found("macro")
    return macro


def _columns(fields: dict) -> dict:
    return {"title": fields["title"].strip(), "kind": fields["kind"], "resolve": fields["resolve"],
            **{column: fields["bodies"].get(locale) for locale, column in COLUMNS.items()}}


def create(fields: dict, editor: Caller) -> Macro:
    if Macro.select().count() >= MAX_MACROS:
        raise ApiError(409, "too_many_macros", f"There are {MAX_MACROS} macros already; delete some first.")
    now = clock.now()
    return Macro.create(**_columns(fields), created_by=editor.user_id, created_at=now, updated_at=now)


def update(macro: Macro, fields: dict) -> Macro:
    for name, value in _columns(fields).items():
        setattr(macro, name, value)
    macro.updated_at = clock.now()
    macro.save()
    return macro


def customer_name(ticket: Ticket) -> str:
    return (ticket.requester_name or "").strip() or ticket.requester_email.split("@")[0]


def fill(macro: Macro, ticket: Ticket, agent: Caller) -> tuple[str, str]:
    """The ticket's language (English when the macro lacks it) and the body with its placeholders filled."""
    locale = ticket.locale if ticket.locale in COLUMNS and getattr(macro, COLUMNS[ticket.locale]) else DEFAULT_LOCALE
    values = {"customer_name": customer_name(ticket), "ticket_number": ticket.number,
              "agent_name": workflow.Author.of(agent).name}
    body = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), getattr(macro, COLUMNS[locale]))
    return locale, body


def apply(outbox, store, ticket: Ticket, macro: Macro, agent: Caller, body: str | None, *,
          window_days: int) -> Message:
    """Send the macro (or the agent's edit of it) as a message of its kind; then resolve if it says so."""
    text = body if body is not None else fill(macro, ticket, agent)[1]
    refuse_wallet_secrets({"body": text})
    message = workflow.add_message(outbox, store, ticket, workflow.Author.of(agent), macro.kind, text, [],
                                   window_days=window_days)
    if macro.resolve:
        workflow.resolve(outbox, ticket, window_days)
    return message
