"""Service notices: editors write them, everyone reads the active ones, on SQLite and PostgreSQL."""
import datetime as dt

import pytest

from shared import clock

START = dt.datetime(2027, 3, 1, 12, 0)
NOTICE = {"title": "BTC withdrawals delayed", "body": "The Bitcoin network is congested; withdrawals may take longer.",
          "locale": "en", "starts_at": "2027-03-01T12:00:00Z", "ends_at": "2027-03-01T18:00:00Z"}


def listed(who, locale="en"):
    response = who.get("/api/v1/help/notices", query_string={"locale": locale})
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_a_notice_is_listed_only_inside_its_window(people):
    clock.clock.freeze(START - dt.timedelta(minutes=1))
    created = people.writer.post("/api/v1/help/notices", json=NOTICE)
    assert created.status_code == 201, created.json
    notice = created.json
    assert notice["starts_at"] == "2027-03-01T12:00:00.000Z" and notice["ends_at"] == "2027-03-01T18:00:00.000Z"
    assert listed(people.anonymous) == []  # not yet

    clock.clock.advance(dt.timedelta(minutes=1))
    assert listed(people.anonymous) == [notice]
    assert set(notice) == {"id", "title", "body", "locale", "starts_at", "ends_at"}
    assert listed(people.anonymous, "es") == []  # another language

    clock.clock.advance(dt.timedelta(hours=6))
    assert listed(people.anonymous) == []  # over


def test_a_notice_without_an_end_stays_until_removed(people):
    clock.clock.freeze(START)
    notice = people.writer.post("/api/v1/help/notices",
                                json=dict(NOTICE, locale="zh-Hant", ends_at=None)).json
    clock.clock.advance(dt.timedelta(days=365))
    assert [n["id"] for n in listed(people.alice, "zh-Hant")] == [notice["id"]]

    changed = people.writer.put(f"/api/v1/help/notices/{notice['id']}",
                                json=dict(NOTICE, title="Withdrawals back to normal", locale="zh-Hant",
                                          ends_at="2028-03-01T00:00:00Z"))
    assert changed.status_code == 200, changed.json
    assert listed(people.alice, "zh-Hant")[0]["title"] == "Withdrawals back to normal"

    assert people.writer.delete(f"/api/v1/help/notices/{notice['id']}").status_code == 204
    assert listed(people.alice, "zh-Hant") == []
    assert people.writer.delete(f"/api/v1/help/notices/{notice['id']}").status_code == 404
    assert people.writer.put(f"/api/v1/help/notices/{notice['id']}", json=NOTICE).status_code == 404


def test_only_editors_change_notices(people):
    notice = people.writer.post("/api/v1/help/notices", json=NOTICE).json
    path = f"/api/v1/help/notices/{notice['id']}"
    for who, status in ((people.anonymous, 401), (people.alice, 403), (people.support, 403)):
        assert who.post("/api/v1/help/notices", json=NOTICE).status_code == status
        assert who.put(path, json=NOTICE).status_code == status
        assert who.delete(path).status_code == status
    assert people.writer.delete(path).status_code == 204


@pytest.mark.parametrize("change,field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"body": ""}, "body"),
    ({"body": "x" * 2001}, "body"),
    ({"locale": "fr"}, "locale"),
    ({"starts_at": "yesterday"}, "starts_at"),
    ({"starts_at": "2027-03-01T12:00:00"}, "starts_at"),  # no zone
    ({"ends_at": "2027-03-01T12:00:00Z"}, "ends_at"),  # not after the start
    ({"ends_at": "2027-03-01T11:00:00Z"}, "ends_at"),
    ({"colour": "red"}, "colour"),
])
def test_bad_notices_get_the_contract_error(people, change, field):
    response = people.writer.post("/api/v1/help/notices", json=dict(NOTICE, **change))
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error" and field in error["details"]["fields"]


def test_an_unknown_language_is_refused(people):
    response = people.anonymous.get("/api/v1/help/notices", query_string={"locale": "klingon"})
    assert response.status_code == 400 and "locale" in response.json["error"]["details"]["fields"]
