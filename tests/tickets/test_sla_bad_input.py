"""Bad input on the service-level, rating and report endpoints: 400 `validation_error` in the contract's
shape, never a 5xx, and nothing changed."""
import pytest

from tests.support import agent
from tests.tickets.conftest import As, new_ticket
from tests.tickets.test_bad_input import assert_error

POLICY = {"category": "wallet", "tier": "standard", "first_response_s": 60, "next_response_s": 60, "resolution_s": 60}
OFFICE = {"name": "office", "timezone": "Europe/Madrid", "hours": {"mon": [["09:00", "18:00"]]}, "holidays": []}


@pytest.fixture
def boss(client):
    return As(client, {**agent(950), "roles": ("supervisor",)})


@pytest.mark.parametrize("body", [
    {}, {"items": []}, {"items": "all"}, [POLICY], {"items": [{**POLICY, "category": "lambo"}]},
    {"items": [{**POLICY, "tier": "gold"}]}, {"items": [{**POLICY, "first_response_s": "60"}]},
    {"items": [{**POLICY, "resolution_s": -1}]}, {"items": [{**POLICY, "next_response_s": 10 ** 12}]},
    {"items": [{**POLICY, "calendar": "../etc"}]}, {"items": [{**POLICY, "calendar": "nowhere"}]},
    {"items": [{**POLICY, "colour": "red"}]}, {"items": [POLICY] * 101},
])
def test_bad_policies_are_refused(boss, body):
    before = boss.get("/api/v1/admin/sla-policies").json
    assert_error(boss.put("/api/v1/admin/sla-policies", json=body), 400, "validation_error")
    assert boss.get("/api/v1/admin/sla-policies").json == before


@pytest.mark.parametrize("changes", [
    {"name": "Office!"}, {"name": ""}, {"timezone": "Mars/Olympus"}, {"timezone": "../../etc/passwd"},
    {"timezone": "UTC\u0000"}, {"timezone": 1}, {"hours": {"mon": "09:00-18:00"}}, {"hours": {"mon": [["09:00"]]}},
    {"hours": {"mon": [["18:00", "09:00"]]}}, {"hours": {"mon": [["25:00", "26:00"]]}}, {"hours": {"funday": []}},
    {"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, {"hours": {"mon": [[9, 18]]}}, {"hours": []},
    {"holidays": ["2027-02-30"]}, {"holidays": ["tomorrow"]}, {"holidays": "2027-01-01"},
])
def test_bad_calendars_are_refused(boss, changes):
    assert_error(boss.put("/api/v1/admin/calendars", json={"items": [{**OFFICE, **changes}]}), 400, "validation_error")
    assert [c["name"] for c in boss.get("/api/v1/admin/calendars").json["items"]] == ["always"]


@pytest.mark.parametrize("path", ["summary", "tickets.csv"])
@pytest.mark.parametrize("query", [
    "from=2027-13-01", "from=99999-01-01", "from=0001-01-01T00:00:00%2B14:00", "to=9999-12-31T23:59:59-14:00",
    "from=2027-04-02&to=2027-04-02", "tier=", "department=" + "a" * 51,
])
def test_bad_report_queries_are_refused(boss, path, query):
    assert_error(boss.get(f"/api/v1/agent/reports/{path}?{query}"), 400, "validation_error")


@pytest.mark.parametrize("body", [
    {}, {"rating": "GOOD"}, {"rating": 1}, {"rating": None}, {"rating": ["good"]}, {"rating": "good", "comment": 5},
    {"rating": "good", "comment": "x" * 2001}, ["good"],
])
def test_bad_ratings_are_refused(alice, support, body):
    number = new_ticket(alice)["number"]
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    assert_error(alice.post(f"/api/v1/tickets/{number}/satisfaction", json=body), 400, "validation_error")
    assert alice.get(f"/api/v1/tickets/{number}").json["satisfaction"] is None
