"""A service's OpenAPI document says what `load_body` and `@blp.arguments` enforce."""
import re

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from shared.openapi import NOT_BLANK_PATTERN, comma_separated_pattern
from shared.web import Blueprint, create_service_app, load_body


class SlotSchema(ma.Schema):
    start = fields.String(required=True)


class NoteSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        openapi = {"required": ["body"]}
        openapi_form = {"anyOf": [{"required": ["body"]}, {"required": ["files"]}]}

    body = fields.String(load_default="", metadata={"pattern": NOT_BLANK_PATTERN})
    kind = fields.String(load_default=None, validate=validate.OneOf(["a", "b"]))
    slot = fields.Nested(SlotSchema, load_default=None)


class NoteQuery(ma.Schema):
    status = fields.String(load_default=None, metadata={"pattern": comma_separated_pattern(["open", "closed"])})
    kind = fields.String(load_default=None, validate=validate.OneOf(["a", "b"]))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def document() -> dict:
    app, api = create_service_app("notes", {"INTERNAL_TOKEN_SECRET": "s" * 32}, guard=False, title="Notes")
    blp = Blueprint("notes", __name__, url_prefix="/api/v1")

    @blp.route("/notes")
    class Notes(MethodView):
        @blp.doc(requestBody={"content": {"application/json": {"schema": NoteSchema},
                                          "multipart/form-data": {"schema": NoteSchema}}})
        @blp.response(201)
        def post(self):
            return load_body(NoteSchema())[0]

        @blp.arguments(NoteQuery, location="query")
        @blp.response(200)
        def get(self, args):
            return args

    api.register_blueprint(blp)
    return app.test_client().get("/openapi.json").json


def test_a_body_read_with_load_body_is_required_and_its_form_is_text_with_files():
    spec = document()
    body = spec["paths"]["/api/v1/notes"]["post"]["requestBody"]
    assert body["required"] is True
    schemas = spec["components"]["schemas"]
    note = schemas["Note"]
    assert note["required"] == ["body"]
    assert "default" not in note["properties"]["body"]  # "" is not a value the pattern takes
    assert note["properties"]["slot"]["anyOf"][1]["enum"] == [None]  # null, not any object
    form = schemas[body["content"]["multipart/form-data"]["schema"]["$ref"].split("/")[-1]]
    assert form["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert form["anyOf"] == [{"required": ["body"]}, {"required": ["files"]}] and "required" not in form
    assert not any(field.get("nullable") or None in field.get("enum", ()) for field in form["properties"].values())


def test_query_parameters_come_from_the_schema_and_are_never_null():
    parameters = {p["name"]: p["schema"] for p in document()["paths"]["/api/v1/notes"]["get"]["parameters"]}
    assert parameters["limit"] == {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}
    assert parameters["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert re.search(parameters["status"]["pattern"], "open,closed")
    assert not re.search(parameters["status"]["pattern"], "open,")


def test_not_blank_is_what_strip_calls_blank():
    for char in " \t\x1c\x1f\x85\xa0\u2028\u3000":
        assert not re.search(NOT_BLANK_PATTERN, char * 3) and not (char * 3).strip()
    assert re.search(NOT_BLANK_PATTERN, " x ")
