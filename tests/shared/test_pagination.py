"""Keyset pagination on the real databases: every row once, in order, whatever the page size."""
import datetime as dt

import peewee
import pytest

from shared.db import ensure_schema, make_database
from shared.errors import ApiError
from shared.pagination import decode_cursor, encode_cursor, keyset_page


@pytest.fixture
def rows_model(database_url):
    database = make_database(database_url, "pagination")

    class Row(peewee.Model):
        updated_at = peewee.DateTimeField()
        owner = peewee.IntegerField()

        class Meta:
            table_name = "paged_row"

    ensure_schema(database)
    with database.bind_ctx([Row]):
        database.connect(reuse_if_open=True)
        database.create_tables([Row])
        start = dt.datetime(2026, 1, 1)
        # Ties on updated_at: the id must break them, or rows would be skipped or repeated.
        Row.insert_many([{"updated_at": start + dt.timedelta(minutes=i // 3), "owner": i % 2}
                         for i in range(50)]).execute()
        yield Row
    database.close()


@pytest.mark.parametrize("limit", [1, 7, 50, 60])
@pytest.mark.parametrize("descending", [True, False])
def test_pages_give_every_row_once_in_order(rows_model, limit, descending):
    Row = rows_model
    query = Row.select().where(Row.owner == 1)
    seen, cursor = [], None
    for _ in range(100):
        page, cursor = keyset_page(query.clone(), [Row.updated_at, Row.id], limit, cursor, descending=descending)
        assert len(page) <= limit
        seen += [r.id for r in page]
        if cursor is None:
            break
    expected = [r.id for r in query.clone().order_by(*(
        (Row.updated_at.desc(), Row.id.desc()) if descending else (Row.updated_at, Row.id)))]
    assert seen == expected and len(expected) == 25


def test_a_single_key_pages_by_id(rows_model):
    Row = rows_model
    first, cursor = keyset_page(Row.select(), [Row.id], 20, None)
    second, last = keyset_page(Row.select(), [Row.id], 20, cursor)
    assert [r.id for r in first] == list(range(50, 30, -1)) and [r.id for r in second][0] == 30
    third, end = keyset_page(Row.select(), [Row.id], 20, last)
    assert [r.id for r in third] == list(range(10, 0, -1)) and end is None


@pytest.mark.parametrize("bad", ["x", "!!!", encode_cursor([1]), encode_cursor([1, 2, 3]),
                                 "W1sieiIsMV1d", encode_cursor([2**70, 1])])
def test_cursors_this_module_did_not_make_are_400(bad):
    with pytest.raises(ApiError) as refused:
        decode_cursor(bad, 2)
    assert refused.value.status == 400 and refused.value.code == "invalid_cursor"
    assert "cursor" in refused.value.details["fields"]


def test_a_cursor_round_trips_times_and_ids():
    stamp = dt.datetime(2026, 12, 6, 5, 40, 1, 123456)
    assert decode_cursor(encode_cursor([stamp, 42]), 2) == [stamp, 42]


def test_a_cursor_argument_with_its_width_refuses_foreign_cursors_as_bad_arguments():
    import marshmallow as ma

    from shared.pagination import cursor_field

    class Query(ma.Schema):
        cursor = cursor_field(2)

    assert Query().load({"cursor": encode_cursor([dt.datetime(2026, 1, 1), 3])})["cursor"]
    for bad in ("x", encode_cursor([3])):
        with pytest.raises(ma.ValidationError) as refused:
            Query().load({"cursor": bad})
        assert "cursor" in refused.value.messages
