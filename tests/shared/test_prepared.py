"""Prepared look-ups (shared/prepared.py) on SQLite and PostgreSQL: the rows and values the query itself gives,
its own constants kept, its SQL made once per kind of database, and one proxy moved between the two kinds."""
from __future__ import annotations

import datetime as dt

import peewee
import pytest

from shared.db import ensure_schema, make_database
from shared.prepared import Prepared

proxy = peewee.DatabaseProxy()


class Owner(peewee.Model):
    name = peewee.CharField()

    class Meta:
        database = proxy


class Item(peewee.Model):
    number = peewee.CharField(unique=True)
    owner = peewee.ForeignKeyField(Owner)
    at = peewee.DateTimeField()
    done = peewee.BooleanField(default=False)

    class Meta:
        database = proxy


BY_NUMBER = Prepared(lambda number: Item.select().where(Item.number == number).limit(1))
OPEN_OF = Prepared(lambda owner_id, number: Item.select().where(
    (Item.owner == owner_id) & (Item.done == False) & (Item.number != number)).order_by(Item.id))  # noqa: E712


@pytest.fixture
def items(database_url):
    database = make_database(database_url, "prepared")
    proxy.initialize(database)
    database.connect(reuse_if_open=True)
    ensure_schema(database)
    database.create_tables([Owner, Item])
    owner = Owner.create(name="o")
    at = dt.datetime(2026, 12, 6, 17, 5, 9, 123000)
    for number, done in (("1", False), ("2", True), ("3", False), ("4", False)):
        Item.create(number=number, owner=owner, at=at, done=done)
    yield owner, at
    database.drop_tables([Item, Owner])
    database.close()


def test_rows_are_what_the_query_gives_with_each_field_read(items):
    owner, at = items
    found = BY_NUMBER.first("3")
    assert (found.number, found.owner_id, found.at, found.done) == ("3", owner.id, at, False)
    assert found.id == Item.get(Item.number == "3").id
    assert BY_NUMBER.first("9") is None
    # A constant of the query (done = false), the arguments in their places.
    assert [item.number for item in OPEN_OF.rows(owner.id, "1")] == ["3", "4"]
    assert OPEN_OF.rows(owner.id + 1, "1") == []


def test_an_instance_read_saves_like_one_the_query_read(items):
    found = BY_NUMBER.first("1")
    assert not found.is_dirty()
    found.done = True
    found.save(only=[Item.done])
    assert Item.get(Item.number == "1").done is True


def test_the_sql_is_made_once_per_kind_of_database(items, database_url):
    BY_NUMBER.first("1")
    built = []
    counting = Prepared(lambda number: built.append(number) or Item.select().where(Item.number == number))
    for number in ("1", "3", "4"):
        assert [item.number for item in counting.rows(number)] == [number]
    assert len(built) == 1
    kinds = set(BY_NUMBER._made)
    assert any(("sqlite" if "sqlite" in database_url else "postgres") in kind.__name__.lower() for kind in kinds)


def test_each_argument_must_be_used_once():
    unused = Prepared(lambda number, other: Item.select().where(Item.number == number))
    proxy.initialize(peewee.SqliteDatabase(":memory:"))
    with pytest.raises(ValueError):
        unused.rows("1", "2")
