"""The catalogue's schemas, loaded fast: what a consumer reads on every message (`Envelope.from_dict`).

A marshmallow `load` of an event's data costs a busy consumer more than anything else
it does for the event. Most events are well formed, so each schema also gets a quick
acceptance test, derived from the schema itself (no second catalogue): msgspec checks
presence and types, then the fields' own marshmallow validators (email, one-of, range)
judge the values. It accepts only what marshmallow would load to the very same dict;
anything else (a wrong type, a missing field, a value a validator refuses, a field kind
it cannot judge exactly) goes to marshmallow, which decides and words the error.
"""
from __future__ import annotations

import functools
import threading

import marshmallow as ma
import msgspec
from marshmallow import fields

# Field kinds whose loaded value is the JSON value itself, as msgspec types (the strict kind: no "5" for 5).
_PLAIN = {fields.String: str, fields.Email: str, fields.Integer: int}


class _Unsupported(Exception):
    """The schema has something the quick test cannot judge exactly: marshmallow loads it every time."""


class _Spec:
    """One schema's quick test: its msgspec type, and per field what to do after msgspec accepted."""

    def __init__(self, schema: ma.Schema) -> None:
        if schema.unknown != ma.INCLUDE or any(getattr(schema, "_hooks", {}).values()):
            raise _Unsupported(type(schema).__name__)
        self.fields: list[tuple[str, fields.Field, _Spec | None, bool]] = []
        struct_fields = []
        for index, (key, field) in enumerate(schema.fields.items()):
            if field.dump_only or field.data_key not in (None, key) or field.attribute not in (None, key):
                raise _Unsupported(key)
            nested, many, kind = self._kind(field)
            kind = kind | None if field.allow_none else kind
            default = msgspec.NODEFAULT if field.required else msgspec.UNSET
            kind = kind if field.required else kind | msgspec.UnsetType
            struct_fields.append((f"f{index}", kind, msgspec.field(name=key, default=default)))
            self.fields.append((key, field, nested, many))
        self.type = msgspec.defstruct(f"{type(schema).__name__}Check", struct_fields, kw_only=True)
        # What `finish` has to do, field by field, worked out once: the defaults of absent fields, the nested
        # values to finish, the validators to run (most fields need none of these).
        self.defaults = [(key, field.load_default) for key, field, _, _ in self.fields
                         if field.load_default is not ma.missing]
        self.checks = [(key, nested, many, tuple(field.validators)) for key, field, nested, many in self.fields
                       if nested is not None or field.validators]

    @staticmethod
    def _kind(field: fields.Field) -> tuple[_Spec | None, bool, object]:
        if type(field) in _PLAIN:
            return None, False, _PLAIN[type(field)]
        if type(field) is fields.Nested and not field.many and isinstance(field.schema, ma.Schema):
            nested = _Spec(field.schema)
            return nested, False, nested.type
        if type(field) is fields.List and type(field.inner) is fields.Nested and not field.inner.many:
            nested = _Spec(field.inner.schema)
            return nested, True, list[nested.type]
        raise _Unsupported(type(field).__name__)

    def finish(self, data: dict) -> dict:
        """The loaded dict of data msgspec accepted: validators run, defaults filled, unknown fields kept."""
        loaded = dict(data)
        for key, default in self.defaults:
            if key not in loaded:
                loaded[key] = default() if callable(default) else default
        for key, nested, many, validators in self.checks:
            value = data.get(key)
            if value is None:
                continue
            if nested is not None:
                value = loaded[key] = [nested.finish(item) for item in value] if many else nested.finish(value)
            for validator in validators:
                if validator(value) is False:
                    raise ma.ValidationError("refused by a validator")
        return loaded


@functools.cache
def _spec(schema_class: type[ma.Schema]) -> _Spec | None:
    try:
        return _Spec(schema_class())
    except _Unsupported:
        return None


_schemas = threading.local()


def schema_instance(schema_class: type[ma.Schema]) -> ma.Schema:
    """One instance per schema and thread: making a schema costs as much as using it."""
    cache = _schemas.__dict__.setdefault("by_class", {})
    if schema_class not in cache:
        cache[schema_class] = schema_class()
    return cache[schema_class]


def quick_accepts(schema_class: type[ma.Schema], data: dict) -> dict | None:
    """The quick test alone: the loaded dict, or None where marshmallow has to look."""
    spec = _spec(schema_class)
    if spec is None:
        return None
    try:
        msgspec.convert(data, spec.type)
        return spec.finish(data)
    except (msgspec.ValidationError, ma.ValidationError):
        return None


def load(schema_class: type[ma.Schema], data: dict) -> dict:
    """`data` loaded by the schema: raises `marshmallow.ValidationError`."""
    loaded = quick_accepts(schema_class, data)
    return schema_instance(schema_class).load(data) if loaded is None else loaded  # marshmallow decides, and says why
