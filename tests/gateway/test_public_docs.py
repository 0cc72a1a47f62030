"""The public OpenAPI document: the services' documents merged without losing or mixing anything."""
import json

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

from services.gateway.public_docs import public_spec, rate_limited_operations
from services.tickets.app import create_app as create_tickets_app
from services.tickets.models import db as tickets_db
from services.video.app import create_app as create_video_app
from services.video.models import db as video_db
from tests.conftest import close_database
from tests.support import SECRET

ERROR = {"type": "object", "properties": {"error": {"$ref": "#/components/schemas/Inner"}}}


def document(paths: dict, schemas: dict, responses: dict | None = None) -> dict:
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": {"Error": ERROR, "Inner": {"type": "object"}, **schemas},
                           "responses": responses or {},
                           "securitySchemes": {"internalToken": {"type": "http", "scheme": "bearer"}}}}


def path_parameter(name: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}


def refs(value) -> set[str]:
    text = json.dumps(value)
    return {part.split('"')[0] for part in text.split('"$ref": "')[1:]}


def test_each_services_names_are_its_own_and_every_reference_resolves():
    tickets = document(
        {"/api/v1/help/articles/{slug}": {"parameters": [path_parameter("slug")], "get": {"responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/TranslationOut"}}}},
            "400": {"$ref": "#/components/responses/BAD_REQUEST"}}}}},
        {"TranslationOut": {"type": "object", "properties": {"title": {"type": "string"}}}},
        {"BAD_REQUEST": {"description": "Bad Request", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}})
    video = document(
        {"/api/v1/video-calls/{call_id}": {"parameters": [path_parameter("call_id")], "get": {"responses": {"200": {
            "description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CallOut"}}}}}}},
         "/internal/calls": {"get": {"responses": {"200": {"description": "OK"}}}}},
        {"CallOut": {"type": "object", "properties": {"translation": {"$ref": "#/components/schemas/TranslationOut"}}},
         "TranslationOut": {"type": "object", "properties": {"translate_from": {"type": "string"}}}})

    spec = public_spec([("gateway", document({}, {})), ("tickets", tickets), ("video", video)])

    assert list(OpenAPIV30SpecValidator(spec).iter_errors()) == []
    schemas = spec["components"]["schemas"]
    call = schemas["video.CallOut"]
    assert call["properties"]["translation"] == {"$ref": "#/components/schemas/video.TranslationOut"}
    assert "translate_from" in schemas["video.TranslationOut"]["properties"]
    assert "title" in schemas["tickets.TranslationOut"]["properties"]
    assert spec["paths"]["/api/v1/help/articles/{slug}"]["get"]["responses"]["400"] == {
        "$ref": "#/components/responses/tickets.BAD_REQUEST"}
    for ref in refs(spec):
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in spec["components"][kind], ref
    assert "/internal/calls" not in spec["paths"]
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}  # not the internal one


def test_the_gateways_part_credentials_and_errors():
    tickets = document({
        "/api/v1/tickets": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                                     "responses": {"201": {"description": "Created"},
                                                   "default": {"$ref": "#/components/responses/DEFAULT_ERROR"}}}},
        "/api/v1/help/articles": {"get": {"responses": {"200": {"description": "OK"}}}},
    }, {})
    gateway = document({
        "/api/v1/auth/register": {"post": {"responses": {"201": {"description": "Created"}}}},
        "/api/v1/me": {"get": {"responses": {"200": {"description": "OK"}}}},
    }, {})

    spec = public_spec([("gateway", gateway), ("tickets", tickets)], {("post", "/api/v1/auth/register")})

    ticket = spec["paths"]["/api/v1/tickets"]["post"]
    assert ticket["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    assert set(ticket["responses"]) == {"201", "400", "401", "403", "409", "413", "415", "503"}  # no catch-all
    article = spec["paths"]["/api/v1/help/articles"]["get"]
    assert "security" not in article and "403" not in article["responses"]
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    assert "security" not in register and register["responses"]["429"] == {
        "$ref": "#/components/responses/RateLimited"}
    assert spec["paths"]["/api/v1/me"]["get"]["security"]
    assert spec["components"]["responses"]["RateLimited"]["headers"]["Retry-After"]


def test_the_rate_limited_views_are_found(gateway):
    found = rate_limited_operations(gateway)
    assert {("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/login"), ("post", "/api/v1/chats"),
            ("post", "/api/v1/guest/tickets")} <= found
    assert ("get", "/api/v1/me") not in found


@pytest.fixture
def service_documents(tmp_path):
    tickets = create_tickets_app({"DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db", "INTERNAL_TOKEN_SECRET": SECRET,
                                  "ATTACHMENT_DIR": str(tmp_path / "attachments"), "TESTING": True})
    tickets_doc = tickets.test_client().get("/openapi.json").json
    close_database(tickets_db)
    video = create_video_app({"DATABASE_URL": f"sqlite:///{tmp_path}/video.db", "INTERNAL_TOKEN_SECRET": SECRET,
                              "TICKETS_URL": "http://127.0.0.1:9", "VIDEO_APP_SECRET": "s" * 32,
                              "VIDEO_CODE_SECRET": "c" * 32, "TESTING": True})
    video_doc = video.test_client().get("/openapi.json").json
    close_database(video_db)
    return [("tickets", tickets_doc), ("video", video_doc)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_real_documents_merge_into_a_valid_one(gateway, service_documents):
    with gateway.app_context():
        spec = public_spec([("gateway", gateway.extensions["smorest_spec"]()), *service_documents],
                           rate_limited_operations(gateway))

    assert list(OpenAPIV30SpecValidator(spec).iter_errors()) == []
    call = spec["components"]["schemas"]["video.CallOut"]
    assert call["properties"]["translation"] == {"$ref": "#/components/schemas/video.TranslationOut"}
    ticket = spec["paths"]["/api/v1/tickets"]["post"]["requestBody"]
    assert ticket["required"] is True
    form = spec["components"]["schemas"][ticket["content"]["multipart/form-data"]["schema"]["$ref"].split("/")[-1]]
    assert form["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert not any(field.get("nullable") for field in form["properties"].values())
    tickets_query = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert tickets_query["limit"] == {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}
    assert tickets_query["status"]["pattern"].startswith("^(open|")
    escalation = spec["paths"]["/api/v1/tickets/{number}/escalation"]["post"]["responses"]["400"]
    assert escalation["$ref"] in ("#/components/responses/tickets.BAD_REQUEST", "#/components/responses/BadRequest")
