"""What a service's OpenAPI document says of the request bodies its views read themselves.

Views that take JSON or a multipart form read their body with `shared.web.load_body` and
document it by hand (`@blp.doc(requestBody=...)`) with the schema they load. This plugin
makes that documentation say what `load_body` enforces: the body is required (without one
the answer is 415), and the multipart form is the same schema as text fields, where an
empty field counts as left out (so no field is null) and the files come as `files`.
Query parameters (`@blp.arguments(Schema, location="query")`) are not null either: a field
that may be None is one that may be left out.
"""
from __future__ import annotations

import copy
import functools
import re

import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest.fields import Upload

FORM = "multipart/form-data"
# A text with something other than spaces, as str.strip() sees them (ECMA's \s, which JSON
# Schema's patterns use, leaves out the separators \x1c-\x1f and NEL).
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]"


class ContractMarshmallowPlugin(MarshmallowPlugin):
    def init_spec(self, spec):
        super().init_spec(spec)
        self.converter.add_attribute_function(_field_openapi)

    def schema_helper(self, name, _, schema=None, **kwargs):
        """A schema's rules across fields (`validates_schema`, or a view's) are said in JSON Schema
        by its `Meta.openapi` (e.g. `{"anyOf": [...]}`), added to what its fields say; its form
        (`form_schema`) has `Meta.openapi_form` instead, when it differs."""
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        extra = getattr(getattr(_schema_class(schema), "Meta", None), "openapi", None) if schema else None
        if json_schema is not None and extra:
            extra = copy.deepcopy(extra)
            required = sorted({*json_schema.get("required", ()), *extra.pop("required", ())})
            json_schema.update(extra, **({"required": required} if required else {}))
        return json_schema

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body:
                body.setdefault("required", True)  # flask-smorest's @blp.arguments says so itself
                form = body.get("content", {}).get(FORM)
                if form and _is_schema(form.get("schema")):
                    form["schema"] = form_schema(_schema_class(form["schema"]))
        super().operation_helper(path=path, operations=operations, **kwargs)
        for operation in (operations or {}).values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                _not_null(parameter)


def comma_separated_pattern(values) -> str:
    """The pattern of one or more of `values` joined by commas (a `?status=a,b` filter)."""
    one = "(" + "|".join(values) + ")"
    return f"^{one}(,{one})*$"


def _field_openapi(converter, field, ret: dict, **kwargs) -> dict:
    """A field's `metadata={"openapi": {...}}`, over what apispec made of it (which `metadata`'s
    own keys cannot override, e.g. a Dict's `additionalProperties`).

    A default that the field's pattern refuses (`""` for a text that must not be blank when
    sent) is left out: a document's defaults must be valid values. A nested schema's null is null."""
    default, pattern = ret.get("default"), ret.get("pattern")
    if isinstance(default, str) and pattern and re.search(pattern, default) is None:
        del ret["default"]
    for alternative in ret.get("anyOf", ()):
        # apispec's null for a nested schema is `{"type": "object", "nullable": true}`, which any
        # object matches, `{}` too: say null.
        if alternative == {"type": "object", "nullable": True}:
            alternative["enum"] = [None]
    return copy.deepcopy(field.metadata.get("openapi", {}))


def _not_null(parameter: dict) -> None:
    """A query string or path has no null: a field that may be None is one that may be left out."""
    schema = parameter.get("schema") if isinstance(parameter, dict) else None
    if not isinstance(schema, dict):
        return
    schema.pop("nullable", None)
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if None in schema.get("enum", ()):
        schema["enum"] = [value for value in schema["enum"] if value is not None]


@functools.cache
def form_schema(schema_class: type[ma.Schema]) -> type[ma.Schema]:
    """`schema_class` as a multipart form: the same fields, none of them null, and `files`."""
    declared = {}
    for name, field in schema_class._declared_fields.items():
        declared[name] = copy.copy(field)
        declared[name].allow_none = False
        if declared[name].load_default is None:
            declared[name].load_default = ma.missing
    declared["files"] = ma.fields.List(Upload(), metadata={"description": "Attachments"})
    meta = getattr(schema_class, "Meta", ma.Schema.Meta)
    form_meta = type("Meta", (meta,), {"openapi": getattr(meta, "openapi_form", getattr(meta, "openapi", None))})
    name = schema_class.__name__.removesuffix("Schema") + "FormSchema"
    return type(name, (ma.Schema,), {**declared, "Meta": form_meta})


def _is_schema(value) -> bool:
    return isinstance(value, ma.Schema) or (isinstance(value, type) and issubclass(value, ma.Schema))


def _schema_class(value) -> type[ma.Schema]:
    return value if isinstance(value, type) else type(value)
