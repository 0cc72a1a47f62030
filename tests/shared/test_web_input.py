"""Every service's app refuses input that no database can store with a 400 (or a 404 for an
id no database can hold), whichever way a view reads it: webargs arguments, `load_body`
(JSON or a form), `request.get_json`, the query string, or an `<int:...>` in the path."""
import contextlib
import io
import sqlite3

import marshmallow as ma
import psycopg2
import pytest
from flask import jsonify, request
from flask.views import MethodView

from shared.web import Blueprint, create_service_app, load_body
from tests.support import PG_URL

LONE_SURROGATE = '{"text": "a\\ud800b"}'  # JSON spelling of an unpaired UTF-16 surrogate
NUL = '{"text": "a\\u0000b"}'
DEEP = "[" * 1000 + "]" * 1000
BIG_ID = str(2 ** 63)


class TextSchema(ma.Schema):
    text = ma.fields.String(required=True)


@pytest.fixture(scope="module")
def stored():
    """Store text the way the services do: in SQLite, and as a PostgreSQL parameter."""
    lite = sqlite3.connect(":memory:", check_same_thread=False)
    lite.execute("CREATE TABLE t (text TEXT)")
    with contextlib.closing(psycopg2.connect(PG_URL)) as pg:
        def store(text: str) -> str:
            lite.execute("INSERT INTO t VALUES (?)", (text,))
            with pg.cursor() as cur:
                cur.execute("SELECT %s", (text,))
                return cur.fetchone()[0]
        yield store
    lite.close()


@pytest.fixture(scope="module")
def client(stored):
    app, api = create_service_app("probe", {}, title="Probe", guard=False)
    blp = Blueprint("probe", __name__, url_prefix="/probe")

    @blp.route("/arguments")
    class Arguments(MethodView):
        @blp.arguments(TextSchema)
        @blp.response(201, TextSchema)
        def post(self, fields):
            return {"text": stored(fields["text"])}

    @blp.route("/body")
    class Body(MethodView):
        @blp.response(201, TextSchema)
        def post(self):
            fields, _ = load_body(TextSchema())
            return {"text": stored(fields["text"])}

    @blp.route("/items/<int:item_id>")
    class Item(MethodView):
        def get(self, item_id):
            return jsonify(id=str(stored(item_id)))

    @blp.route("/search")
    class Search(MethodView):
        @blp.arguments(TextSchema, location="query")
        def get(self, args):
            return jsonify(text=stored(args["text"]))

    api.register_blueprint(blp)

    @app.post("/raw")
    def raw():
        body = request.get_json()
        return jsonify(text=stored(body["text"]))

    return app.test_client()


def assert_refused(response, status=400, code="invalid_json"):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]["code"] == code
    assert set(response.json["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("path", ["/probe/arguments", "/probe/body", "/raw"])
def test_json_that_no_database_stores_is_400(client, path):
    assert client.post(path, json={"text": "fine \u00e9\U0001f600"}).status_code in (200, 201)
    for body in (LONE_SURROGATE, NUL, b'{"text": "\xed\xa0\x80"}'):  # the last: a surrogate's raw UTF-8 bytes
        refused = client.post(path, data=body, content_type="application/json")
        assert_refused(refused, code="validation_error")
        assert list(refused.json["error"]["details"]["fields"]) == ["text"]  # the field is named
    nested = client.post(path, data='{"text": "x", "more": [{"n": %s}]}' % 2 ** 64, content_type="application/json")
    assert_refused(nested, code="validation_error")
    assert nested.json["error"]["details"]["fields"] == {"more": {"0": {"n": ["Numbers must fit in 64 bits."]}}}
    deep = client.post(path, data=DEEP, content_type="application/json")
    assert_refused(deep)
    assert "nested" in deep.json["error"]["message"]


def test_form_fields_that_no_database_stores_are_400(client):
    refused = client.post("/probe/body", data={"text": "a\x00b"}, content_type="multipart/form-data")
    assert_refused(refused, code="validation_error")
    assert "text" in refused.json["error"]["details"]["fields"]
    assert_refused(client.post("/probe/body", data="text=a%00b", content_type="application/x-www-form-urlencoded"),
                   code="validation_error")
    # A surrogate percent-encoded, or as raw bytes in a multipart part: never a 500.
    encoded = client.post("/probe/body", data="text=a%ED%A0%80b", content_type="application/x-www-form-urlencoded")
    raw = client.post("/probe/body", content_type="multipart/form-data; boundary=b", data=(
        b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\na\xed\xa0\x80b\r\n--b--\r\n'))
    assert encoded.status_code in (201, 400) and raw.status_code in (201, 400)
    file_upload = client.post("/probe/body", content_type="multipart/form-data",
                              data={"text": "ok", "files": (io.BytesIO(b"x"), "a\x00.txt")})
    assert file_upload.status_code == 201


def test_query_strings_that_no_database_stores_are_400(client):
    assert client.get("/probe/search?text=fine").status_code == 200
    assert_refused(client.get("/probe/search?text=a%00b"), code="validation_error")
    assert client.get("/probe/search?text=a%ED%A0%80b").status_code == 200
    assert client.get("/probe/search?text=%F0%9F%98%80").json["text"] == "\U0001f600"


def test_ids_beyond_64_bits_and_nuls_in_paths_are_404(client):
    assert client.get(f"/probe/items/{2 ** 63 - 1}").json["id"] == str(2 ** 63 - 1)
    for path in (f"/probe/items/{BIG_ID}", "/probe/items/" + "9" * 5000, "/probe/items/1%00"):
        assert_refused(client.get(path), 404, "not_found")
