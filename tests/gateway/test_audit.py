"""The audit log: staff reads and changes recorded by the gateway, searched and exported by
supervisors, and refused any change by the database itself."""
from __future__ import annotations

import csv
import datetime as dt
import io

import peewee
import pytest
import requests
from flask import Flask, jsonify, request

from services.gateway import accounts, audit
from services.gateway.audit import AuditEvent
from services.gateway.models import db
from shared import clock
from tests.e2e.harness import Client, create_agent, login_response, register_and_login, start_product, wait_for
from tests.gateway.conftest import bearer
from tests.support import png_bytes

PASSWORD = "agent password 1"


def make_agent(email: str, *, supervisor: bool = False):
    account = accounts.create_account(None, email=email, password=PASSWORD, role="agent", tier="standard")
    if supervisor:
        account.roles = "supervisor"
        account.save()
    return account


@pytest.fixture
def gateway(gateway_factory):
    # These agents have no authenticator: 2FA for agents has its tests (and one here, at the end).
    return gateway_factory(AGENT_MFA_REQUIRED=False)


# --- The database refuses changes (SQLite and PostgreSQL) ------------------------------------

def test_the_log_refuses_update_and_delete(gateway):
    event = audit.record("ticket.viewed", actor_id=7, actor_role="agent", ticket_number="100001", ip="10.0.0.1")
    with pytest.raises(peewee.DatabaseError, match="append-only"), db.atomic():
        AuditEvent.update(action="nothing.happened").where(AuditEvent.id == event.id).execute()
    with pytest.raises(peewee.DatabaseError, match="append-only"), db.atomic():
        event.delete_instance()
    with pytest.raises(peewee.DatabaseError, match="append-only"), db.atomic():
        AuditEvent.delete().execute()
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        with pytest.raises(peewee.DatabaseError, match="append-only"), db.atomic():
            db.execute_sql("TRUNCATE audit_event")
    kept = AuditEvent.get_by_id(event.id)
    assert (kept.action, kept.ticket_number, kept.ip) == ("ticket.viewed", "100001", "10.0.0.1")


# --- Searching and exporting, on seeded rows with a known clock -------------------------------

@pytest.fixture
def seeded(gateway):
    """Twelve events over twelve hours by two agents on two tickets; a supervisor's client."""
    client = gateway.test_client()
    alice = make_agent("alice@support.example")
    bob = make_agent("bob@support.example")
    make_agent("boss@support.example", supervisor=True)
    start = dt.datetime(2027, 3, 1, 8, 0)
    clock.clock.freeze(start)
    for hour in range(12):
        who = alice if hour % 2 == 0 else bob
        audit.record("ticket.viewed" if hour % 3 else "message.added", actor_id=who.id, actor_role="agent",
                     actor_email=who.email, target_type="ticket", target_id=f"20000{hour % 2}",
                     ticket_number=f"20000{hour % 2}", ip="192.0.2.1", details={"hour": hour})
        clock.clock.advance(dt.timedelta(hours=1))
    clock.clock.reset()
    headers = bearer(client, "boss@support.example", PASSWORD)
    return client, headers, alice, bob


def hours(items):
    """The seeded events' hours (signing in is audited too: the supervisor's own login is left out)."""
    return [item["details"]["hour"] for item in items if "hour" in item["details"]]


def test_supervisor_filters_by_actor_ticket_action_and_period(seeded):
    client, headers, alice, bob = seeded
    everything = client.get("/api/v1/admin/audit-events", headers=headers)
    assert everything.status_code == 200, everything.json
    assert hours(everything.json["items"]) == list(range(11, -1, -1))  # newest first
    assert everything.json["next_cursor"] is None
    first = next(item for item in everything.json["items"] if item["action"] != "auth.login")
    assert first["actor"] == {"id": bob.id, "role": "agent", "email": "bob@support.example"}
    assert first["target"] == {"type": "ticket", "id": "200001", "ticket_number": "200001"}
    assert first["ip"] == "192.0.2.1" and first["at"] == "2027-03-01T19:00:00.000Z"

    def query(**params):
        response = client.get("/api/v1/admin/audit-events", query_string=params, headers=headers)
        assert response.status_code == 200, response.json
        return hours(response.json["items"])

    assert query(actor=str(alice.id)) == [10, 8, 6, 4, 2, 0]
    assert query(actor="Alice@Support.example") == [10, 8, 6, 4, 2, 0]
    assert query(ticket="200001") == [11, 9, 7, 5, 3, 1]
    assert query(action="message.added") == [9, 6, 3, 0]
    assert query(**{"from": "2027-03-01T10:00:00Z", "to": "2027-03-01T12:00:00Z"}) == [4, 3, 2]
    assert query(**{"from": "2027-03-01T11:30:00+01:00"}) == list(range(11, 2, -1))  # 10:30 UTC on
    assert query(**{"to": "2027-03-01"}) == []
    assert query(actor=str(bob.id), action="ticket.viewed", ticket="200001") == [11, 7, 5, 1]
    assert query(actor="nobody@support.example") == []


def test_pages_follow_the_cursor_to_the_end(seeded):
    client, headers, *_ = seeded
    seen, ids, cursor, pages = [], [], None, 0
    while True:
        params = {"limit": 4, "ticket": "200000", **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/admin/audit-events", query_string=params, headers=headers)
        assert response.status_code == 200, response.json
        assert len(response.json["items"]) <= 4
        seen += hours(response.json["items"])
        ids += [item["id"] for item in response.json["items"]]
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert pages == 2 and seen == [10, 8, 6, 4, 2, 0]
    assert ids == sorted(ids, reverse=True)
    everything = client.get("/api/v1/admin/audit-events", query_string={"limit": 200}, headers=headers).json
    assert hours(everything["items"]) == list(range(11, -1, -1)) and everything["next_cursor"] is None


def test_csv_export_has_every_matching_row(seeded):
    client, headers, alice, _ = seeded
    response = client.get("/api/v1/admin/audit-events.csv", query_string={"actor": alice.email},
                          headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["ticket_number"] for row in rows] == ["200000"] * 6
    assert [row["action"] for row in rows][-1] == "message.added"
    assert {row["actor_email"] for row in rows} == {"alice@support.example"}
    exported = client.get("/api/v1/admin/audit-events", query_string={"action": "audit.exported"},
                          headers=headers).json["items"]
    assert len(exported) == 1 and exported[0]["details"] == {"actor": alice.email}


def test_csv_cells_that_look_like_formulas_are_quoted(seeded):
    client, headers, alice, _ = seeded
    audit.record("message.redacted", actor_id=alice.id, actor_role="agent", ticket_number="=HYPERLINK(1)",
                 details={"reason": "card number"})
    text = client.get("/api/v1/admin/audit-events.csv", query_string={"action": "message.redacted"},
                      headers=headers).get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["ticket_number"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("params, field", [
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "many"}, "limit"),
    ({"cursor": "abc"}, "cursor"), ({"cursor": "-4"}, "cursor"), ({"cursor": "9" * 40}, "cursor"),
    ({"from": "yesterday"}, "from"), ({"to": "2027-13-45"}, "to"), ({"from": "0001-01-01T00:00:00+05:00"}, "from"),
    ({"from": "2027-03-02", "to": "2027-03-01"}, "to"), ({"action": "DROP TABLE"}, "action"),
    ({"ticket": "1\x002"}, "ticket"), ({"actor": "²"}, None), ({"actor": "a" * 300}, "actor"),
])
def test_bad_parameters_are_400_naming_the_field(seeded, params, field):
    client, headers, *_ = seeded
    for path in ("/api/v1/admin/audit-events", "/api/v1/admin/audit-events.csv"):
        if path.endswith(".csv") and set(params) & {"limit", "cursor"}:
            continue
        response = client.get(path, query_string=params, headers=headers)
        if field is None:  # odd but harmless: a search that finds nothing
            assert response.status_code == 200
            assert response.get_data(as_text=True).count("\n") == 1 if path.endswith(".csv") \
                else response.json["items"] == []
            continue
        assert response.status_code == 400, (path, params, response.get_data(as_text=True))
        assert response.json["error"]["code"] == "validation_error"
        assert field in response.json["error"]["details"]["fields"]


def test_only_supervisors_may_read_the_log(gateway):
    client = gateway.test_client()
    make_agent("agent@support.example")
    make_agent("boss@support.example", supervisor=True)
    client.post("/api/v1/auth/register", json={"email": "carol@example.com", "password": "a long password"})
    customer = bearer(client, "carol@example.com", "a long password")
    agent = bearer(client, "agent@support.example", PASSWORD)
    boss = bearer(client, "boss@support.example", PASSWORD)
    client.delete_cookie("session")
    for path in ("/api/v1/admin/audit-events", "/api/v1/admin/audit-events.csv"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer forged"}).status_code == 401
        for headers in (customer, agent):
            response = client.get(path, headers=headers)
            assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
        assert client.get(path, headers=boss).status_code == 200
    me = client.get("/api/v1/me", headers=boss).json["user"]
    assert me["roles"] == ["supervisor"]
    assert client.get("/api/v1/me", headers=agent).json["user"]["roles"] == []


def test_a_supervisor_without_2fa_must_enrol_first(gateway_factory):
    client = gateway_factory(AGENT_MFA_REQUIRED=True).test_client()
    make_agent("boss@support.example", supervisor=True)
    make_agent("agent@support.example")
    for email, code in (("boss@support.example", "mfa_enrollment_required"),
                        ("agent@support.example", "mfa_enrollment_required")):
        headers = bearer(client, email, PASSWORD)
        response = client.get("/api/v1/admin/audit-events", headers=headers)
        assert response.status_code == 403 and response.json["error"]["code"] == code


# --- What the gateway records, against a stand-in service that sees what was forwarded ---------

@pytest.fixture
def stand_in(serve, gateway_factory):
    """A gateway whose tickets service answers 2xx to anything and keeps the bodies it received."""
    received = []
    service = Flask("stand-in")

    @service.route("/api/v1/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def anything(rest):
        received.append((request.method, request.path, request.get_data()))
        if rest.endswith("/messages"):
            return jsonify(message={"id": 41, "kind": "note", "body": "the customer's card is 4111",
                                    "attachments": []}), 201
        if rest == "agent/tickets/100200/fail":
            return jsonify(error={"code": "conflict", "message": "no", "details": {}}), 409
        return jsonify(ok=True)

    url = serve(service)
    app = gateway_factory(SERVICE_URLS={"tickets": url, "notifications": url, "video": url, "referrals": url},
                          AGENT_MFA_REQUIRED=False)
    client = app.test_client()
    agent = make_agent("agent@support.example")
    headers = bearer(client, "agent@support.example", PASSWORD)
    client.delete_cookie("session")
    return app, client, headers, agent, received


def events(action: str | None = None) -> list[AuditEvent]:
    query = AuditEvent.select().order_by(AuditEvent.id)
    return list(query.where(AuditEvent.action == action) if action else query)


def test_a_redaction_is_recorded_with_its_reason_and_the_body_still_reaches_the_service(stand_in):
    _, client, headers, agent, received = stand_in
    response = client.post("/api/v1/agent/tickets/100200/messages/41/redaction",
                           json={"reason": "a card number"}, headers=headers)
    assert response.status_code == 200
    assert received[-1][2] == b'{"reason": "a card number"}'
    [event] = events("message.redacted")
    assert (event.actor_id, event.actor_email, event.ticket_number) == (agent.id, agent.email, "100200")
    assert (event.target_type, event.target_id) == ("message", "41")
    assert audit.to_dict(event)["details"] == {"message_id": "41", "reason": "a card number"}


def test_changes_are_recorded_with_details_but_never_a_message_body(stand_in):
    _, client, headers, agent, received = stand_in
    assert client.post("/api/v1/agent/tickets/100200/messages", json={"body": "the customer's card is 4111",
                                                                      "kind": "note"}, headers=headers).status_code == 201
    assert client.post("/api/v1/agent/tickets/100200/assign", json={"agent_id": 5}, headers=headers).status_code == 200
    assert client.post("/api/v1/agent/tickets/100200/resolve", headers=headers).status_code == 200
    assert client.put("/api/v1/agent/help/articles/fees", json={"title": "x"}, headers=headers).status_code == 200
    assert client.post("/api/v1/agent/tickets/100200/presence", json={"state": "viewing"},
                       headers=headers).status_code == 200
    assert client.post("/api/v1/agent/tickets/100200/escalation/accept", headers=headers).status_code == 200
    assert client.post("/api/v1/agent/tickets/100200/pin", headers=headers).status_code == 200
    assert client.post("/api/v1/agent/tickets/100200/fail", headers=headers).status_code == 409
    assert client.get("/api/v1/agent/tickets?status=open", headers=headers).status_code == 200
    recorded = [(e.action, e.ticket_number, e.target_id, audit.to_dict(e)["details"]) for e in events()
                if not e.action.startswith("auth.")]
    assert recorded == [
        ("message.added", "100200", "41", {"kind": "note", "attachments": 0}),
        ("ticket.assigned", "100200", "100200", {"agent_id": 5}),
        ("ticket.resolved", "100200", "100200", {}),
        ("help.changed", None, "fees", {"article_id": "fees", "method": "PUT",
                                        "path": "/api/v1/agent/help/articles/fees"}),
        ("agent.action", "100200", None, {"method": "POST", "path": "/api/v1/agent/tickets/100200/escalation/accept"}),
        ("agent.action", "100200", None, {"method": "POST", "path": "/api/v1/agent/tickets/100200/pin"}),
    ]
    assert all("4111" not in e.details for e in events())


@pytest.mark.parametrize("method, path, body, action, target", [
    ("POST", "/api/v1/agent/macros", b"{}", "macro.changed", None),
    ("DELETE", "/api/v1/agent/macros/12", b"", "macro.changed", "12"),
    ("PUT", "/api/v1/admin/sla-policies", b'{"items": []}', "sla_policy.changed", None),
    ("PUT", "/api/v1/admin/calendars", b'{"items": []}', "calendar.changed", None),
    ("PUT", "/api/v1/agent/tickets/100300/tags", b'{"tags": ["vip", "kyc"]}', "ticket.tagged", "100300"),
    ("POST", "/api/v1/agent/tickets/100300/merge", b'{"into": "100301"}', "ticket.merged", "100300"),
    ("POST", "/api/v1/agent/video-calls/9/outcome", b'{"result": "verified", "note": "ok"}',
     "video_call.outcome_recorded", "9"),
    ("POST", "/api/v1/help/notices", b"{}", "help.changed", None),
    ("PUT", "/api/v1/agent/me/status", b'{"status": "away"}', "agent.action", None),
])
def test_paths_still_to_come_map_to_their_actions(gateway, method, path, body, action, target):
    caller = accounts.caller_for(make_agent("agent@support.example"))
    audit.record_staff_request(caller, method, path, 200, "198.51.100.4", request_body=body)
    audit.record_staff_request(caller, method, path, 404, "198.51.100.4", request_body=body)
    [event] = events()
    assert (event.action, event.target_id, event.ip, event.actor_id) == (action, target, "198.51.100.4", caller.user_id)
    assert "note" not in event.details


def test_a_staff_read_that_cannot_be_recorded_is_refused(stand_in, monkeypatch):
    app, client, headers, _, _ = stand_in
    browser = app.test_client()  # the session cookie: the Flask view, not the bearer fast path
    assert browser.post("/api/v1/auth/login", json={"email": "agent@support.example",
                                                    "password": PASSWORD}).status_code == 200

    def broken(*args, **kwargs):
        raise peewee.OperationalError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    for response in (client.get("/api/v1/agent/tickets/100200", headers=headers),
                     browser.get("/api/v1/agent/tickets/100200")):
        assert response.status_code == 503 and response.json["error"]["code"] == "audit_unavailable"
    # A change the service already made is answered; the failure is in the logs.
    assert client.post("/api/v1/agent/tickets/100200/resolve", headers=headers).status_code == 200


# --- End to end: the product as `make run` starts it ------------------------------------------

@pytest.fixture(scope="module")
def product(tmp_path_factory):
    # Agents must have 2FA (the default): `create_agent` enrols them. One proxy in front: the client's
    # address is the last of X-Forwarded-For.
    running = start_product(tmp_path_factory.mktemp("audit"), {"TRUSTED_PROXY_COUNT": "1"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def people(product):
    customer = register_and_login(product)
    agent = create_agent(product)
    supervisor = create_agent(product, supervisor=True)
    created = customer.post("/api/v1/tickets", data={"subject": "Where is my deposit", "category": "wallet",
                                                     "description": "Sent it an hour ago."},
                            files={"files": ("proof.png", png_bytes(), "image/png")})
    assert created.status_code == 201, created.text
    return customer, agent, supervisor, created.json()["ticket"]


def audit_events(supervisor: Client, **params) -> list[dict]:
    response = supervisor.get("/api/v1/admin/audit-events", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_an_agents_bearer_read_is_found_by_the_supervisor(product, people):
    _, agent, supervisor, ticket = people
    number = ticket["number"]
    response = agent.get(f"/api/v1/agent/tickets/{number}", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 200
    found = wait_for(lambda: [e for e in audit_events(supervisor, actor=str(agent.user["id"]), ticket=number,
                                                      action="ticket.viewed") if e["ip"] == "203.0.113.7"],
                     message="the agent's view")
    assert len(found) == 1
    assert found[0]["actor"]["id"] == agent.user["id"] and found[0]["actor"]["role"] == "agent"
    assert found[0]["target"]["ticket_number"] == number
    assert found[0]["id"] in [e["id"] for e in audit_events(supervisor, actor=agent.email, action="ticket.viewed")]


def test_an_agents_cookie_read_is_recorded_too(product, people):
    _, agent, supervisor, ticket = people
    browser = requests.Session()
    browser.cookies.update(login_response(product, agent.email, PASSWORD).cookies)  # password, then TOTP
    before = len(audit_events(supervisor, actor=agent.email, action="ticket.viewed"))
    assert browser.get(product.url(f"/api/v1/agent/tickets/{ticket['number']}"), timeout=30).status_code == 200
    after = audit_events(supervisor, actor=agent.email, action="ticket.viewed")
    assert len(after) == before + 1 and after[0]["ip"] == "127.0.0.1"


def test_a_customers_own_reads_make_no_row(product, people):
    customer, _, supervisor, ticket = people
    assert customer.get(f"/api/v1/tickets/{ticket['number']}").status_code == 200
    url = ticket["messages"][0]["attachments"][0]["url"]
    assert customer.get(url).status_code == 200
    for actor in (str(customer.user["id"]), customer.email):  # signing in is audited, reading is not
        assert [e["action"] for e in audit_events(supervisor, actor=actor) if not e["action"].startswith("auth.")] \
            == []


def test_an_agents_attachment_download_is_recorded(product, people):
    _, agent, supervisor, ticket = people
    attachment = ticket["messages"][0]["attachments"][0]
    download = agent.get(attachment["url"])
    assert download.status_code == 200 and download.content == png_bytes()
    [event] = audit_events(supervisor, actor=agent.email, action="attachment.downloaded")
    assert event["target"]["type"] == "attachment" and event["target"]["id"] == str(attachment["id"])


def test_an_agents_reply_is_recorded_and_the_export_has_it(product, people):
    _, agent, supervisor, ticket = people
    number = ticket["number"]
    reply = agent.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "We are on it.", "kind": "reply"})
    assert reply.status_code == 201, reply.text
    [event] = audit_events(supervisor, ticket=number, action="message.added")
    assert event["details"]["kind"] == "reply" and "We are on it." not in str(event)
    export = supervisor.get("/api/v1/admin/audit-events.csv", params={"ticket": number})
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {"ticket.viewed", "message.added"} <= {row["action"] for row in rows}
    assert all(row["ticket_number"] == number for row in rows)


def test_a_redaction_is_recorded_with_its_author_and_reason(product, people):
    customer, agent, supervisor, _ = people
    created = customer.post("/api/v1/tickets", json={"subject": "Card on file", "category": "other",
                                                     "description": "My card is 4111 1111 1111 1111, exp 12/29."})
    assert created.status_code == 201, created.text
    number, message_id = created.json()["ticket"]["number"], created.json()["ticket"]["messages"][0]["id"]
    redacted = agent.post(f"/api/v1/agent/tickets/{number}/messages/{message_id}/redaction",
                          json={"reason": "a card number"})
    assert redacted.status_code == 200, redacted.text
    [event] = audit_events(supervisor, ticket=number, action="message.redacted")
    assert event["actor"]["id"] == agent.user["id"]
    assert event["target"] == {"type": "message", "id": str(message_id), "ticket_number": number}
    assert event["details"] == {"message_id": str(message_id), "reason": "a card number"}
    assert "4111" not in str(audit_events(supervisor, ticket=number))


def test_customers_and_plain_agents_get_403_and_the_endpoints_are_documented(product, people):
    customer, agent, supervisor, _ = people
    for caller in (customer, agent):
        for path in ("/api/v1/admin/audit-events", "/api/v1/admin/audit-events.csv"):
            response = caller.get(path)
            assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert requests.get(product.url("/api/v1/admin/audit-events"), timeout=30).status_code == 401
    assert supervisor.get("/api/v1/me").json()["user"]["roles"] == ["supervisor"]
    paths = requests.get(product.url("/api/openapi.json"), timeout=30).json()["paths"]
    assert {"/api/v1/admin/audit-events", "/api/v1/admin/audit-events.csv"} <= set(paths)
    assert "cursor" in {p["name"] for p in paths["/api/v1/admin/audit-events"]["get"]["parameters"]}


def test_the_audit_page_is_for_supervisors(gateway):
    make_agent("agent@support.example")
    make_agent("boss@support.example", supervisor=True)
    pages = {}
    for email in ("agent@support.example", "boss@support.example"):
        browser = gateway.test_client()
        assert browser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
        pages[email] = (browser.get("/agent/audit"), browser.get("/agent"))
    page, console = pages["boss@support.example"]
    assert page.status_code == 200 and 'id="audit-events"' in page.get_data(as_text=True)
    assert 'href="/agent/audit"' in console.get_data(as_text=True)
    page, console = pages["agent@support.example"]
    assert page.status_code == 303 and page.headers["Location"].endswith("/agent")
    assert 'href="/agent/audit"' not in console.get_data(as_text=True)
    assert gateway.test_client().get("/agent/audit").status_code == 303  # to the login page
