"""Input that no parser or database may choke on, refused at the door with a 400.

JSON may spell a lone UTF-16 surrogate (`"\\ud800"`) or a NUL (`"\\u0000"`): neither can be
encoded for SQLite or PostgreSQL, so they used to become 500s deep inside a view. Deep
nesting makes the parser recurse until Python gives up, and an integer beyond 64 bits
overflows every database column. Each service's app (`shared.web.create_service_app`)
parses JSON with `loads` and checks form fields and query strings with `text_problem`,
so no view has to think about it.
"""
from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, ValidationError

MAX_JSON_DEPTH = 64
MIN_INT64, MAX_INT64 = -(2 ** 63), 2 ** 63 - 1


class RefusedInput(ValueError):
    """Well-formed input that the services refuse; the message says why, for a person.

    `path` names the field (keys and list indexes from the top) when one value is at fault.
    """

    def __init__(self, message: str, path: tuple | None = None) -> None:
        super().__init__(message)
        self.path = path

    def fields(self) -> dict:
        """The contract's `details.fields` for this refusal, nested like marshmallow's messages."""
        messages: dict | list = [str(self)]
        for key in reversed(self.path or ("_schema",)):
            messages = {key: messages}
        return messages


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored (a NUL, a lone surrogate), or None when it can."""
    if "\x00" in value:
        return "Text must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must not contain unpaired UTF-16 surrogates."
    return None


def check_json(value: Any) -> None:
    """Walk a parsed JSON document (without recursion); raise RefusedInput on what it must not hold."""
    stack: list[tuple[Any, int, tuple]] = [(value, 1, ())]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise RefusedInput(problem, path or None)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if not MIN_INT64 <= item <= MAX_INT64:
                raise RefusedInput("Numbers must fit in 64 bits.", path or None)
        elif depth > MAX_JSON_DEPTH:
            raise RefusedInput(f"JSON may be nested at most {MAX_JSON_DEPTH} levels deep.")
        elif isinstance(item, dict):
            for key, child in item.items():
                if text_problem(key):
                    raise RefusedInput(f"A field name is not valid: {text_problem(key)}", path or None)
                stack.append((child, depth + 1, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, (*path, index)) for index, child in enumerate(item))


def loads(data: str | bytes, **kwargs) -> Any:
    """`json.loads`, refusing what `check_json` refuses; syntax errors stay `json.JSONDecodeError`."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise RefusedInput(f"JSON may be nested at most {MAX_JSON_DEPTH} levels deep.") from None
    check_json(value)
    return value


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing request bodies with `loads` (so `request.get_json` refuses them too)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


class Int64Converter(IntegerConverter):
    """`<int:...>` for ids the databases store as signed 64-bit integers: a bigger one is no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_INT64,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> int:
        # Checked before int(): Python refuses to convert more than 4,300 digits at all.
        if len(value.lstrip("-0")) > len(str(MAX_INT64)):
            raise ValidationError()
        return super().to_python(value)
