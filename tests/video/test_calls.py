"""The call life cycle on the video service itself, on SQLite and PostgreSQL."""
import datetime as dt

import pytest
import requests

from services.video.models import Slot, VideoCall
from shared import clock
from tests.support import agent, customer, token
from tests.video.conftest import HOURS, MINUTES, As, events, guest_for_email, open_ticket, propose, slot


def test_proposal_takes_the_requester_from_the_tickets_service(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    call = propose(support, number, slot(3 * HOURS), slot(5 * HOURS))
    assert call["status"] == "proposed" and call["ticket_number"] == number
    assert call["requester"] == {"kind": "user", "user_id": 1, "email": "alice@example.com", "name": "user1",
                                 "locale": "en"}
    assert [s["available"] for s in call["slots"]] == [True, True]
    assert call["booked_slot"] is None and call["joinable"] is False and call["join_opens_at"] is None
    assert call["language"] == "en"
    assert [item["key"] for item in call["checklist"]] == [
        "english_session", "original_id_document", "card_in_possession", "camera_on", "quiet_room"]
    assert "photocopies are not accepted" in call["checklist"][1]["text"]
    [proposed] = events("video.call_proposed.v1")
    assert proposed["data"]["requester"] == {"kind": "user", "user_id": 1, "email": "alice@example.com",
                                             "locale": "en"}
    assert proposed["data"]["slots"] == [{"start": s["start"], "end": s["end"]} for s in call["slots"]]
    assert proposed["producer"] == "video"
    listed = alice.get("/api/v1/video-calls").json
    assert [c["id"] for c in listed["items"]] == [call["id"]] and listed["next_cursor"] is None
    assert "requester" not in listed["items"][0]


def test_a_ticket_the_agent_may_not_see_is_404_and_nothing_is_stored(tickets_url, client, support, alice):
    assert support.post("/api/v1/agent/tickets/99999999/video-calls",
                        json={"slots": [slot(HOURS)]}).status_code == 404
    number = open_ticket(tickets_url)
    escalated = requests.post(f"{tickets_url}/api/v1/tickets/{number}/escalation", json={"reason": "not fixed"},
                              headers=token("tickets", **customer(1, "alice@example.com")), timeout=10)
    assert escalated.status_code == 201
    response = support.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": [slot(HOURS)]})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    senior = As(client, agent(901, tier="senior"))
    call = propose(senior, number, slot(HOURS))
    assert support.get(f"/api/v1/agent/video-calls/{call['id']}").status_code == 404
    assert support.post(f"/api/v1/agent/video-calls/{call['id']}/cancel", json={}).status_code == 404
    assert VideoCall.select().count() == 1
    assert alice.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": [slot(HOURS)]}).status_code == 403


def test_bad_slots_are_400_and_store_nothing(tickets_url, support):
    number = open_ticket(tickets_url)
    good = slot(HOURS)
    cases = [
        ([], "at least one"),
        ([{"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T10:30:00Z"}], "future"),
        ([{"start": good["end"], "end": good["start"]}], "end after"),
        ([slot(HOURS, 30), slot(HOURS + 15 * MINUTES, 30)], "overlap"),
        ([slot(i * HOURS + HOURS) for i in range(11)], "at most 10"),
        ([slot(HOURS, 180)], "between"),
        ([slot(dt.timedelta(days=120))], "days ahead"),
    ]
    for slots, message in cases:
        response = support.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": slots})
        assert response.status_code == 400, response.json
        assert response.json["error"]["code"] == "validation_error"
        assert message in str(response.json["error"]["details"]["fields"]["slots"]), message
    assert VideoCall.select().count() == 0 and Slot.select().count() == 0 and events() == []


def test_malformed_bodies_are_400(tickets_url, support):
    number = open_ticket(tickets_url)
    for body in ({"slots": [{"start": "tomorrow", "end": "later"}]}, {"slots": "x"}, {}, {"slots": [], "x": 1}):
        response = support.post(f"/api/v1/agent/tickets/{number}/video-calls", json=body)
        assert response.status_code == 400, (body, response.json)
    response = support.post(f"/api/v1/agent/tickets/{number}/video-calls", data="not json",
                            content_type="application/json")
    assert response.status_code == 400
    assert VideoCall.select().count() == 0


def test_one_open_call_per_ticket(tickets_url, support):
    number = open_ticket(tickets_url)
    first = propose(support, number, slot(HOURS))
    again = support.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": [slot(2 * HOURS)]})
    assert again.status_code == 409 and again.json["error"]["details"]["call_id"] == first["id"]
    support.post(f"/api/v1/agent/video-calls/{first['id']}/cancel", json={"reason": "wrong ticket"})
    assert propose(support, number, slot(2 * HOURS))["id"] != first["id"]


def test_booking_rebooking_and_its_refusals(tickets_url, support, alice, bob):
    number = open_ticket(tickets_url)
    early, late = slot(3 * HOURS), slot(5 * HOURS)
    call = propose(support, number, early, late)
    path = f"/api/v1/video-calls/{call['id']}/booking"
    assert bob.post(path, json={"slot_start": early["start"]}).status_code == 404
    missing = alice.post(path, json={"slot_start": slot(4 * HOURS)["start"]})
    assert missing.status_code == 409 and missing.json["error"]["code"] == "slot_unavailable"
    assert alice.post(path, json={"slot_start": "soon"}).status_code == 400
    booked = alice.post(path, json={"slot_start": early["start"]})
    assert booked.status_code == 200, booked.json
    assert booked.json["call"]["status"] == "booked"
    assert booked.json["call"]["booked_slot"] == {"start": early["start"], "end": early["end"]}
    assert alice.post(path, json={"slot_start": early["start"]}).status_code == 200  # the same again: no change
    assert len(events("video.call_booked.v1")) == 1
    changed = alice.post(path, json={"slot_start": late["start"]})
    assert changed.json["call"]["booked_slot"]["start"] == late["start"]
    rebooked = events("video.call_booked.v1")[-1]["data"]
    assert (rebooked["slot_start"], rebooked["previous_slot_start"]) == (late["start"], early["start"])
    clock.clock.advance(3 * HOURS + MINUTES)  # the early slot has begun: it cannot be booked any more
    past = alice.post(path, json={"slot_start": early["start"]})
    assert past.status_code == 409 and past.json["error"]["code"] == "slot_unavailable"
    listed = alice.get(f"/api/v1/video-calls/{call['id']}").json["call"]
    assert [s["available"] for s in listed["slots"]] == [False, True]


def test_join_window_opens_five_minutes_before_and_closes_at_the_slot_end(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    wanted = slot(2 * HOURS, 30)
    call = propose(support, number, wanted)
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]})
    start, end = clock.parse_iso(wanted["start"]), clock.parse_iso(wanted["end"])
    join = f"/api/v1/video-calls/{call['id']}/join"

    def move_to(instant):
        clock.clock.freeze(instant)

    move_to(start - 5 * MINUTES - dt.timedelta(seconds=1))
    listed = alice.get("/api/v1/video-calls").json["items"][0]
    assert listed["joinable"] is False
    assert listed["join_opens_at"] == clock.isoformat(start - 5 * MINUTES)
    assert listed["join_closes_at"] == wanted["end"]
    refused = alice.post(join)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_joinable"
    assert refused.json["error"]["details"]["join_opens_at"] == clock.isoformat(start - 5 * MINUTES)
    for inside in (start - 5 * MINUTES, start, end - dt.timedelta(seconds=1)):
        move_to(inside)
        assert alice.get("/api/v1/video-calls").json["items"][0]["joinable"] is True
        joined = alice.post(join)
        assert joined.status_code == 200, joined.json
        assert set(joined.json) >= {"room_url", "room_token", "expires_at"}
    move_to(end)
    assert alice.get("/api/v1/video-calls").json["items"][0]["joinable"] is False
    assert alice.post(join).status_code == 409


def test_a_proposed_or_foreign_call_cannot_be_joined(tickets_url, support, alice, bob):
    number = open_ticket(tickets_url)
    call = propose(support, number, slot(2 * MINUTES))
    refused = alice.post(f"/api/v1/video-calls/{call['id']}/join")
    assert refused.status_code == 409 and refused.json["error"]["details"]["join_opens_at"] is None
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": call["slots"][0]["start"]})
    assert bob.post(f"/api/v1/video-calls/{call['id']}/join").status_code == 404
    assert alice.post("/api/v1/video-calls/424242/join").status_code == 404
    assert alice.post(f"/api/v1/video-calls/{call['id']}/join").status_code == 200
    assert support.post(f"/api/v1/agent/video-calls/{call['id']}/join").status_code == 200
    assert support.post(f"/api/v1/video-calls/{call['id']}/join").status_code == 403


def test_translation_round_trip_and_bad_languages(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    call = propose(support, number, slot(2 * HOURS))
    path = f"/api/v1/video-calls/{call['id']}/translation"
    saved = alice.put(path, json={"translate_from": "es", "translate_to": "en"})
    assert saved.status_code == 200
    assert saved.json["call"]["translation"] == {"enabled": True, "translate_from": "es", "translate_to": "en"}
    assert alice.get("/api/v1/video-calls").json["items"][0]["translation"]["translate_from"] == "es"
    for body in ({"translate_from": "es", "translate_to": "fr"}, {"translate_from": "klingon", "translate_to": "en"},
                 {"translate_from": "en", "translate_to": "en"}, {"translate_to": "en"}):
        assert alice.put(path, json=body).status_code == 400, body
    assert VideoCall.get_by_id(call["id"]).translate_from == "es"
    off = alice.put(path, json={"enabled": False})
    assert off.json["call"]["translation"] == {"enabled": False, "translate_from": None, "translate_to": None}


def test_reschedule_with_new_slots_or_a_moved_booking(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    first = slot(3 * HOURS)
    call = propose(support, number, first)
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": first["start"]})
    path = f"/api/v1/agent/video-calls/{call['id']}/reschedule"
    offered = [slot(6 * HOURS), slot(8 * HOURS)]
    renewed = support.post(path, json={"slots": offered}).json["call"]
    assert renewed["status"] == "proposed" and renewed["booked_slot"] is None
    assert [s["start"] for s in renewed["slots"]] == [s["start"] for s in offered]
    stale = alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": first["start"]})
    assert stale.status_code == 409
    moved_to = slot(10 * HOURS, 45)
    moved = support.post(path, json={"booked_slot": moved_to}).json["call"]
    assert moved["status"] == "booked" and moved["booked_slot"] == {"start": moved_to["start"], "end": moved_to["end"]}
    rescheduled = [e["data"] for e in events("video.call_rescheduled.v1")]
    assert [(d["slot_start"], d["previous_slot_start"]) for d in rescheduled] == [
        (None, first["start"]), (moved_to["start"], None)]
    assert support.post(path, json={}).status_code == 400
    assert support.post(path, json={"slots": offered, "booked_slot": moved_to}).status_code == 400


def test_cancel_closes_the_call(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    wanted = slot(2 * MINUTES)
    call = propose(support, number, wanted)
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]})
    cancelled = support.post(f"/api/v1/agent/video-calls/{call['id']}/cancel", json={"reason": "Solved by email"})
    assert cancelled.status_code == 200 and cancelled.json["call"]["status"] == "cancelled"
    [event] = events("video.call_cancelled.v1")
    assert event["data"]["slot_start"] == wanted["start"] and event["data"]["reason"] == "Solved by email"
    for response in (alice.post(f"/api/v1/video-calls/{call['id']}/join"),
                     alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]}),
                     support.post(f"/api/v1/agent/video-calls/{call['id']}/cancel", json={}),
                     alice.put(f"/api/v1/video-calls/{call['id']}/translation",
                               json={"translate_from": "es", "translate_to": "en"}),
                     support.post(f"/api/v1/agent/video-calls/{call['id']}/reschedule",
                                  json={"slots": [slot(HOURS)]})):
        assert response.status_code == 409
        assert response.json["error"]["code"] in ("call_closed", "not_joinable")
    assert alice.get("/api/v1/video-calls").json["items"][0]["joinable"] is False


def test_outcome_completes_the_call_once_the_window_has_opened(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    wanted = slot(HOURS)
    call = propose(support, number, wanted)
    path = f"/api/v1/agent/video-calls/{call['id']}/outcome"
    assert support.post(path, json={"result": "verified"}).json["error"]["code"] == "call_not_booked"
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]})
    early = support.post(path, json={"result": "verified"})
    assert early.status_code == 409 and early.json["error"]["code"] == "call_not_started"
    assert support.post(path, json={"result": "maybe"}).status_code == 400
    clock.clock.advance(HOURS + 10 * MINUTES)
    done = support.post(path, json={"result": "verified", "note": "Passport matched"})
    assert done.status_code == 200
    assert done.json["call"]["status"] == "completed" and done.json["call"]["outcome"] == "verified"
    assert done.json["call"]["outcome_note"] == "Passport matched"
    assert "outcome_note" not in alice.get("/api/v1/video-calls").json["items"][0]
    [completed] = events("video.call_completed.v1")
    assert completed["data"]["outcome"] == "verified" and completed["data"]["status"] == "completed"
    assert support.post(path, json={"result": "no_show"}).status_code == 409


def test_no_show_outcome(tickets_url, support, alice):
    number = open_ticket(tickets_url)
    wanted = slot(2 * MINUTES)
    call = propose(support, number, wanted)
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]})
    done = support.post(f"/api/v1/agent/video-calls/{call['id']}/outcome", json={"result": "no_show"})
    assert done.json["call"]["status"] == "no_show"
    assert alice.get("/api/v1/video-calls?status=no_show").json["items"][0]["id"] == call["id"]
    assert alice.get("/api/v1/video-calls?status=booked").json["items"] == []
    assert alice.get("/api/v1/video-calls?status=bogus").status_code == 400


def test_guests_see_only_the_calls_of_their_verified_email(tickets_url, client, support):
    guest_ticket = requests.post(f"{tickets_url}/api/v1/guest/tickets", timeout=10, json={
        "email": "Carol@Example.com", "subject": "Locked out", "category": "account_security",
        "description": "I cannot log in"}, headers=token("tickets", kind="anonymous"))
    if guest_ticket.status_code == 404:
        pytest.skip("the tickets service has no guest tickets yet")
    assert guest_ticket.status_code == 201, guest_ticket.text
    number = guest_ticket.json()["number"]
    carol_call = propose(support, number, slot(2 * MINUTES))
    alice_call = propose(support, open_ticket(tickets_url), slot(3 * MINUTES))
    carol = guest_for_email(client, "carol@example.com")
    assert [c["id"] for c in carol.get("/api/v1/video-calls").json["items"]] == [carol_call["id"]]
    assert carol.get(f"/api/v1/video-calls/{alice_call['id']}").status_code == 404
    assert carol.post(f"/api/v1/video-calls/{alice_call['id']}/join").status_code == 404
    ticket_guest = As(client, {"kind": "guest", "email": "carol@example.com", "scope": {"ticket": number}})
    assert ticket_guest.get("/api/v1/video-calls").json["items"] == []
    assert ticket_guest.get(f"/api/v1/video-calls/{carol_call['id']}").status_code == 404
    booked = carol.post(f"/api/v1/video-calls/{carol_call['id']}/booking",
                        json={"slot_start": carol_call["slots"][0]["start"]})
    assert booked.status_code == 200
    assert carol.post(f"/api/v1/video-calls/{carol_call['id']}/join").status_code == 200


def test_agent_lists(tickets_url, support, client):
    number = open_ticket(tickets_url)
    call = propose(support, number, slot(2 * HOURS))
    assert [c["id"] for c in support.get(f"/api/v1/agent/tickets/{number}/video-calls").json["items"]] == [call["id"]]
    assert [c["id"] for c in support.get("/api/v1/agent/video-calls").json["items"]] == [call["id"]]
    other = As(client, agent(950))
    assert other.get("/api/v1/agent/video-calls").json["items"] == []
    assert other.get(f"/api/v1/agent/video-calls/{call['id']}").json["call"]["id"] == call["id"]


def test_tickets_service_down_is_503_not_500(database_url, tmp_path):
    from services.video.app import create_app
    from services.video.models import db
    from tests.conftest import close_database
    from tests.support import free_port
    from tests.video.conftest import video_config

    app = create_app(video_config(database_url, f"http://127.0.0.1:{free_port()}"))
    try:
        response = As(app.test_client(), agent(900)).post("/api/v1/agent/tickets/12345678/video-calls",
                                                          json={"slots": [slot(HOURS)]})
        assert response.status_code == 503 and response.json["error"]["code"] == "service_unavailable"
    finally:
        close_database(db)


def test_hostile_ids_times_and_cursors_are_4xx_not_500(tickets_url, support, alice):
    call = propose(support, open_ticket(tickets_url), slot(HOURS))
    huge = 10**20
    assert alice.get(f"/api/v1/video-calls/{huge}").status_code == 404
    assert alice.post(f"/api/v1/video-calls/{2**31}/join").status_code == 404
    assert support.get(f"/api/v1/agent/video-calls/{huge}").status_code == 404
    assert alice.get("/api/v1/video-calls?cursor=99999999999999").status_code == 400
    assert alice.get("/api/v1/video-calls?limit=0").status_code == 400
    for start in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z"):
        booked = alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": start})
        assert booked.status_code in (400, 409), (start, booked.json)
        proposed = support.post(f"/api/v1/agent/video-calls/{call['id']}/reschedule",
                                json={"slots": [{"start": start, "end": "9999-12-31T23:59:59Z"}]})
        assert proposed.status_code == 400, (start, proposed.json)
    assert support.get("/api/v1/agent/tickets/..%2F..%2Fadmin/video-calls").status_code == 404
    assert VideoCall.get_by_id(call["id"]).status == "proposed"


def test_the_list_pages_newest_first(tickets_url, support, alice):
    made = [propose(support, open_ticket(tickets_url), slot((i + 1) * HOURS))["id"] for i in range(3)]
    first = alice.get("/api/v1/video-calls?limit=2").json
    assert [c["id"] for c in first["items"]] == made[::-1][:2] and first["next_cursor"]
    rest = alice.get(f"/api/v1/video-calls?limit=2&cursor={first['next_cursor']}").json
    assert [c["id"] for c in rest["items"]] == [made[0]] and rest["next_cursor"] is None
