"""Refuse a ticket, reply or chat message that holds a wallet secret, before any of
it is written, published or logged: the answer names the kinds and the fields, never
the secret."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.tickets.core.attachments import CheckedFile
from shared.errors import ApiError
from shared.wallet_secrets import find_wallet_secrets

MESSAGE = ("This looks like a wallet recovery phrase or private key, so it was not sent. Support will never ask "
           "for it: anyone who has it can take your funds. Remove it and send again. If you have shared it "
           "anywhere, move your funds to a new wallet now.")


def refuse_wallet_secrets(fields: Mapping[str, object], files: Iterable[CheckedFile] = ()) -> None:
    """400 `secret_detected` with `details.kinds` and `details.fields` when any text holds a wallet secret.

    Plain-text attachments are read too; images and PDFs are not (their text is not ours to read).
    """
    kinds: set[str] = set()
    where: list[str] = []
    for name, value in fields.items():
        found = find_wallet_secrets(value) if isinstance(value, str) else []
        if found:
            kinds.update(found)
            where.append(name)
    for checked in files:
        if checked.content_type != "text/plain":
            continue
        found = find_wallet_secrets(checked.data.decode("utf-8", "replace"))
        if found:
            kinds.update(found)
            if "files" not in where:
                where.append("files")
    if kinds:
        raise ApiError(400, "secret_detected", MESSAGE, {"kinds": sorted(kinds), "fields": where})


def ticket_texts(fields: dict) -> dict:
    """The free-text fields of a new ticket, where a wallet secret could be typed or pasted."""
    return {name: fields.get(name) for name in ("subject", "description", "txid", "order_id")}
