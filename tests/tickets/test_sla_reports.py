"""The supervisors' reports over a fixture worked out by hand: ten tickets of known times in the period
[2027-04-01, 2027-04-04 12:00), one older and one newer, all on the 24/7 defaults of `other`
(first response 4 h, resolution 72 h). The customer, the agent and the supervisor work through the
gateway's app in front of the tickets service listening on a port; the test moves the shared clock."""
import csv
import datetime as dt
import io

import pytest

from services.gateway import accounts
from services.gateway.app import create_app as create_gateway
from services.gateway.extensions import limiter
from services.gateway.models import db as gateway_db
from services.tickets.sla import breaches, reports
from shared import clock
from tests.conftest import close_database
from tests.gateway.conftest import FAST_HASH, bearer, register
from tests.support import SECRET, agent, serving
from tests.tickets.conftest import As, new_ticket

T0 = dt.datetime(2027, 4, 1)
NOW = T0 + dt.timedelta(hours=96)
PERIOD = "from=2027-04-01&to=2027-04-04T12:00:00Z"
MIN, HOUR = 1, 60
FIRST_RESPONSES = [10, 20, 30, 40, 50, 60, 90, 300]  # minutes after creation, tickets 0-7; 6's asks for details
RESOLUTIONS = [1 * HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 80 * HOUR]  # tickets 0-4
RATINGS = ["good", "good", "bad", "good"]  # tickets 0-3, an hour after their resolution


PASSWORD = "a long password"


class Person:
    """Someone using the product through the gateway: logged in afresh for each call, since the
    fixture moves the clock by days and a session would end."""

    def __init__(self, gateway, email: str):
        self.client, self.email = gateway.test_client(), email

    def _call(self, method: str, path: str, **kw):
        return getattr(self.client, method)(path, headers=bearer(self.client, self.email, PASSWORD), **kw)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)


@pytest.fixture
def gateway(app, tmp_path):
    """The gateway's app in front of this test's tickets service (agents without 2FA here)."""
    with serving(app) as tickets_url:
        gateway = create_gateway({
            "DATABASE_URL": f"sqlite:///{tmp_path}/gateway.db", "INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True,
            "SERVICE_URLS": {"tickets": tickets_url}, "AGENT_MFA_REQUIRED": False, **FAST_HASH,
            "RATE_LIMIT_LOGIN": "10000/minute", "RATE_LIMIT_LOGIN_PER_EMAIL": "10000/minute"})
        limiter.reset()
        yield gateway
        close_database(gateway_db)


def staff(gateway, email: str, tier: str = "standard", roles: str = "") -> Person:
    account = accounts.create_account(None, email=email, password=PASSWORD, role="agent", tier=tier)
    account.roles = roles
    account.save()
    return Person(gateway, email)


@pytest.fixture
def boss(gateway):
    return staff(gateway, "boss@support.example", roles="supervisor")


@pytest.fixture
def fixture(app, gateway):
    register(gateway.test_client(), "alice@example.com", PASSWORD)
    alice, senior = Person(gateway, "alice@example.com"), staff(gateway, "senior@support.example", tier="senior")
    numbers = {}
    schedule = []  # (minutes after T0, action)

    def create(index):
        numbers[index] = new_ticket(alice, category="other", subject=f"Ticket {index}")["number"]

    for index in range(10):
        created = index * 10
        schedule.append((created, lambda i=index: create(i)))
        if index in (8, 9):
            schedule.append((created + 5, lambda i=index: alice.post(
                f"/api/v1/tickets/{numbers[i]}/escalation", json={"reason": "Compliance check", "department": "compliance"})))
        if index < len(FIRST_RESPONSES):
            kind = "info_request" if index == 6 else "reply"
            schedule.append((created + FIRST_RESPONSES[index], lambda i=index, k=kind: senior.post(
                f"/api/v1/agent/tickets/{numbers[i]}/messages", json={"body": "On it.", "kind": k})))
        if index < len(RESOLUTIONS):
            resolved = created + RESOLUTIONS[index]
            schedule.append((resolved, lambda i=index: senior.post(f"/api/v1/agent/tickets/{numbers[i]}/resolve")))
            if index < len(RATINGS):
                schedule.append((resolved + HOUR, lambda i=index: alice.post(
                    f"/api/v1/tickets/{numbers[i]}/satisfaction", json={"rating": RATINGS[i]})))
    schedule.append((-8 * 24 * HOUR, lambda: create("old")))
    schedule.append((95 * HOUR, lambda: create("new")))
    for minutes, action in sorted(schedule, key=lambda item: item[0]):
        clock.clock.freeze(T0 + dt.timedelta(minutes=minutes))
        action()
    clock.clock.freeze(NOW)
    outbox = app.extensions["outbox"]
    breaches.publish_due_breaches(outbox, outbox.model._meta.database)
    return numbers


def test_the_summary_matches_the_hand_worked_figures(fixture, boss):
    response = boss.get(f"/api/v1/agent/reports/summary?{PERIOD}")
    assert response.status_code == 200, response.json
    assert response.json == {
        "from": "2027-04-01T00:00:00.000Z", "to": "2027-04-04T12:00:00.000Z", "department": None, "tier": None,
        "created": 10, "resolved": 5,
        # 600 1200 1800 2400 | 3000 3600 5400 18000: (2400 + 3000) / 2; 5400 + 0.3 * (18000 - 5400)
        "first_response_s": {"median": 2700.0, "p90": 9180.0},
        # 3600 7200 10800 14400 288000: the middle one; 14400 + 0.6 * (288000 - 14400)
        "resolution_s": {"median": 10800.0, "p90": 178560.0},
        # met: 7 first responses (0-6), 4 resolutions (0-3); missed: first response of 7 (5 h), 8 and 9 (none),
        # resolution of 4 (80 h) and of 5, 7, 8, 9 (72 h passed); 6's resolution is paused, awaiting the customer
        "sla_attainment": round(11 / 19, 4), "sla": {"met": 11, "missed": 8},
        "satisfaction": {"good": 3, "bad": 1, "score": 0.75},
        "backlog": {"open": 6, "awaiting_user": 1, "by_age": [
            {"age": "0-1d", "min_s": 0, "max_s": 86400, "count": 1},
            {"age": "1-3d", "min_s": 86400, "max_s": 259200, "count": 0},
            {"age": "3-7d", "min_s": 259200, "max_s": 604800, "count": 5},
            {"age": "7d+", "min_s": 604800, "max_s": None, "count": 1}]},
    }


def test_walking_the_index_gives_the_same_percentiles(fixture, boss, monkeypatch):
    monkeypatch.setattr(reports, "FETCH_AT_MOST", 0)  # SQLite's way for many tickets (PostgreSQL computes them)
    body = boss.get(f"/api/v1/agent/reports/summary?{PERIOD}").json
    assert body["first_response_s"] == {"median": 2700.0, "p90": 9180.0}
    assert body["resolution_s"] == {"median": 10800.0, "p90": 178560.0}
    one = boss.get(f"/api/v1/agent/reports/summary?{PERIOD}&department=compliance").json
    assert one["first_response_s"] == {"median": None, "p90": None}


def test_the_summary_by_department_and_tier(fixture, boss):
    compliance = boss.get(f"/api/v1/agent/reports/summary?{PERIOD}&department=compliance").json
    assert (compliance["created"], compliance["resolved"], compliance["sla"]) == (2, 0, {"met": 0, "missed": 4})
    assert compliance["first_response_s"] == {"median": None, "p90": None}
    assert compliance["sla_attainment"] == 0.0 and compliance["satisfaction"]["score"] is None
    assert (compliance["backlog"]["open"], compliance["backlog"]["awaiting_user"]) == (2, 0)
    senior = boss.get(f"/api/v1/agent/reports/summary?{PERIOD}&tier=senior").json
    assert (senior["created"], senior["sla_attainment"], senior["backlog"]["open"]) == (0, None, 0)


def test_the_csv_has_a_row_per_ticket(fixture, boss):
    response = boss.get(f"/api/v1/agent/reports/tickets.csv?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_number = {row["number"]: row for row in rows}
    assert [row["number"] for row in rows] == [fixture[i] for i in range(10)]
    first = by_number[fixture[0]]
    assert (first["first_response_s"], first["resolution_s"], first["rating"]) == ("600", "3600", "good")
    assert (first["first_response_breached"], first["resolution_breached"], first["sla_met"]) == ("false", "false", "2")
    assert first["created_at"] == "2027-04-01T00:00:00.000Z" and first["resolved_at"] == "2027-04-01T01:00:00.000Z"
    late = by_number[fixture[7]]
    assert (late["first_response_s"], late["first_response_breached"], late["resolution_breached"]) == ("18000", "true", "true")
    assert late["rating"] == "" and late["status"] == "open"
    assert by_number[fixture[4]]["resolution_s"] == "288000"
    assert by_number[fixture[8]]["department"] == "compliance"


def test_the_csv_takes_the_summarys_department_and_tier(fixture, boss):
    def numbers(query):
        response = boss.get(f"/api/v1/agent/reports/tickets.csv?{PERIOD}&{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [row["number"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]

    compliance = numbers("department=compliance")
    assert compliance == [fixture[8], fixture[9]]
    assert len(compliance) == boss.get(f"/api/v1/agent/reports/summary?{PERIOD}&department=compliance").json["created"]
    assert numbers("tier=standard") == [fixture[i] for i in range(10)]
    assert numbers("tier=senior") == [] and numbers("department=compliance&tier=senior") == []
    for bad in ("tier=gold", "department=X!", "colour=red"):
        response = boss.get(f"/api/v1/agent/reports/tickets.csv?{bad}")
        assert response.status_code == 400 and response.json["error"]["code"] == "validation_error", bad


def test_reports_are_for_supervisors(client, support, alice):
    for who in (support, alice, As(client, {**agent(951, tier="senior")})):
        assert who.get("/api/v1/agent/reports/summary").status_code == 403
        assert who.get("/api/v1/agent/reports/tickets.csv").status_code == 403


@pytest.mark.parametrize("query", ["from=yesterday", "from=2027-04-02&to=2027-04-01", "tier=gold", "department=X!",
                                   "colour=red"])
def test_bad_report_arguments_are_400(boss, query):
    response = boss.get(f"/api/v1/agent/reports/summary?{query}")
    assert response.status_code == 400 and response.json["error"]["code"] == "validation_error"


def test_an_empty_period_reports_zeroes(boss):
    body = boss.get("/api/v1/agent/reports/summary").json
    assert body["created"] == 0 and body["first_response_s"] == {"median": None, "p90": None}
    assert body["backlog"]["open"] == 0
