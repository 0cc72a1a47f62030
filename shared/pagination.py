"""Keyset pagination, the one way every list pages: `{"items": [...], "next_cursor": ...}`.

A page is the rows after the last one seen, in the order of a few key columns that
end with a unique one (e.g. `(updated_at, id)` or just `id`), so the millionth row
costs what the first does: the cursor is those keys' values, opaque to the client
(base64url of a small JSON list), and the query seeks the index with a row-value
comparison, which both SQLite and PostgreSQL answer from the index.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence

import peewee
from marshmallow import ValidationError, fields, validate

from shared.errors import ApiError

MAX_CURSOR_LENGTH = 200


def cursor_field(width: int | None = None) -> fields.String:
    """The `cursor` query argument of a list: the `next_cursor` of the previous page.

    With `width` (the number of key columns the list pages on), a cursor this list did not
    make is refused with the other bad arguments (400 `validation_error` naming `cursor`);
    without it, by `keyset_page` (400 `invalid_cursor`)."""
    validators = [validate.Length(min=1, max=MAX_CURSOR_LENGTH)]
    if width is not None:
        def readable(value: str) -> None:
            try:
                decode_cursor(value, width)
            except ApiError as exc:
                raise ValidationError(exc.details["fields"]["cursor"]) from None

        validators.append(readable)
    return fields.String(load_default=None, validate=validators,
                         metadata={"description": "The `next_cursor` of the previous page."})


def limit_field(default: int = 20, maximum: int = 100) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=maximum))


def encode_cursor(values: Sequence) -> str:
    encoded = [["t", v.isoformat()] if isinstance(v, dt.datetime) else ["v", v] for v in values]
    raw = json.dumps(encoded, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list:
    """The key values a cursor holds; 400 `invalid_cursor` for anything this module did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        encoded = json.loads(raw)
        if not isinstance(encoded, list) or len(encoded) != width:
            raise ValueError("wrong width")
        values = []
        for tag, value in encoded:
            if tag == "t":
                values.append(dt.datetime.fromisoformat(value))
            elif tag == "v" and isinstance(value, (int, str)) and not isinstance(value, bool):
                if isinstance(value, int) and not -2**63 <= value < 2**63:
                    raise ValueError("out of range")
                values.append(value)
            else:
                raise ValueError("unknown tag")
        return values
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error) as exc:
        raise ApiError(400, "invalid_cursor", "The cursor is not valid.",
                       {"fields": {"cursor": ["Not a cursor from this list."]}}) from exc


def keyset_page(query: peewee.ModelSelect, keys: Sequence[peewee.Field], limit: int, cursor: str | None, *,
                descending: bool = True, key_of: Callable | None = None) -> tuple[list, str | None]:
    """One page of `query` in the order of `keys` (newest first by default) and the next page's cursor.

    `key_of(row)` gives a row's key values when they are not plain attributes named like the keys.
    """
    if cursor:
        after = decode_cursor(cursor, len(keys))
        position = peewee.Tuple(*keys) if len(keys) > 1 else keys[0]
        boundary = peewee.Tuple(*after) if len(keys) > 1 else after[0]
        query = query.where(position < boundary if descending else position > boundary)
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = list(query.order_by(*order).limit(limit + 1))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    values = key_of(last) if key_of else [last.__data__[key.name] for key in keys]
    return rows[:limit], encode_cursor(values)
