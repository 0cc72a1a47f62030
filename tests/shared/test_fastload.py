"""The quick load of event data is marshmallow's load, only faster: whatever it accepts, marshmallow
loads to the same dict; the rest goes to marshmallow, which decides."""
import copy

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events import SCHEMAS, EventType, load_data, quick_accepts

REQUESTER = {"kind": "user", "user_id": 7, "email": "ana@example.com", "locale": "es"}
TICKET = {"number": "60000001", "subject": "Deposit missing", "category": "deposit_withdrawal", "status": "open",
          "requester": REQUESTER}
CALL = {"call_id": 3, "ticket_number": "60000001", "requester": REQUESTER, "slot_start": "2026-03-01T14:00:00Z",
        "slot_end": "2026-03-01T14:30:00Z", "status": "booked", "booking_version": 2,
        "slots": [{"start": "2026-03-01T14:00:00Z", "end": "2026-03-01T14:30:00Z"}]}
VALID = {
    EventType.USER_REGISTERED: {"user_id": 7, "email": "ana@example.com", "locale": "es", "region": None,
                                "referral_code": "ABC123", "parent_id": None, "registered_at": "2026-01-01T00:00:00Z"},
    EventType.USER_APP_INSTALLED: {"user_id": 7, "platform": "ios"},
    EventType.TICKET_CREATED: dict(TICKET),
    EventType.TICKET_MESSAGE_ADDED: {**TICKET, "message_id": 9, "kind": "reply", "author_role": "agent"},
    EventType.TICKET_STATUS_CHANGED: {**TICKET, "old_status": "open", "new_status": "resolved"},
    EventType.TICKET_ESCALATED: {**TICKET, "escalation_id": 4, "tier": "2", "department": None},
    EventType.TICKET_ESCALATION_ACCEPTED: {**TICKET, "escalation_id": 4},
    EventType.GUEST_VERIFICATION_REQUESTED: {"purpose": "guest_ticket", "address": "guest@example.com",
                                             "code": "123456", "locale": None, "ticket_number": None},
    EventType.VIDEO_CALL_PROPOSED: dict(CALL),
    EventType.VIDEO_CALL_BOOKED: dict(CALL),
    EventType.VIDEO_CALL_RESCHEDULED: {**CALL, "previous_slot_start": "2026-02-28T10:00:00Z"},
    EventType.VIDEO_CALL_CANCELLED: {**CALL, "reason": "agent unavailable", "slots": None},
    EventType.VIDEO_CALL_REMINDER_DUE: dict(CALL),
    EventType.VIDEO_CALL_COMPLETED: {**CALL, "outcome": "verified", "note": "ok"},
    EventType.REFERRAL_BOX_GRANTED: {"box_id": 1, "user_id": 7, "milestone": "first_deposit", "role": "inviter"},
    EventType.REFERRAL_REWARD_CREDITED: {"entry_id": 1, "user_id": 7, "asset": "USDT", "amount": "5.00"},
}
QUICK_TYPES = [t for t in EventType if t in VALID]
ODD_VALUES = [None, "", "x", "5", 5, 5.0, 5.5, True, False, [], {}, "not-an-email", "user", "guest",
              2 ** 70, [{"start": "a", "end": "b"}], [{"start": 1}], {"kind": "robot"}, {"kind": "user"}]


def marshmallow_outcome(event_type, data):
    try:
        return "loaded", SCHEMAS[event_type]().load(copy.deepcopy(data))
    except ma.ValidationError:
        return "refused", None


def load_outcome(event_type, data):
    try:
        return "loaded", load_data(event_type, data)
    except ma.ValidationError:
        return "refused", None


def assert_same_as_marshmallow(event_type, data):
    before = copy.deepcopy(data)
    expected = marshmallow_outcome(event_type, data)
    quick = quick_accepts(event_type, data)
    if quick is not None:
        assert expected == ("loaded", quick), (event_type, data)
    assert load_outcome(event_type, data) == expected
    assert data == before  # the event's data is read, never changed
    return quick is not None


def mutations(data: dict):
    """Each field (nested ones too) removed, or replaced by an odd value; and an unknown field added."""
    yield {**data, "added_later": {"any": ["thing"]}}
    for key, value in data.items():
        yield {k: v for k, v in data.items() if k != key}
        for odd in ODD_VALUES:
            yield {**data, key: odd}
        if isinstance(value, dict):
            for inner in mutations(value):
                yield {**data, key: inner}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in mutations(value[0]):
                yield {**data, key: [inner]}


@pytest.mark.parametrize("event_type", QUICK_TYPES, ids=str)
def test_valid_data_takes_the_quick_path_to_marshmallows_result(event_type):
    assert assert_same_as_marshmallow(event_type, VALID[event_type])


def test_a_default_is_filled_in_as_marshmallow_does():
    loaded = load_data(EventType.TICKET_CREATED, dict(TICKET))
    assert loaded["channel"] == "web" and quick_accepts(EventType.TICKET_CREATED, dict(TICKET)) == loaded


@pytest.mark.parametrize("event_type", QUICK_TYPES, ids=str)
def test_every_mutation_gets_marshmallows_verdict(event_type):
    quick = refused = 0
    for data in mutations(VALID[event_type]):
        quick += assert_same_as_marshmallow(event_type, data)
        refused += load_outcome(event_type, data)[0] == "refused"
    assert quick and refused  # both paths were taken


def test_refusals_keep_marshmallows_messages():
    with pytest.raises(ma.ValidationError) as refused:
        load_data(EventType.TICKET_MESSAGE_ADDED, {**VALID[EventType.TICKET_MESSAGE_ADDED],
                                                   "requester": {**REQUESTER, "email": "nope"}})
    assert refused.value.messages == {"requester": {"email": ["Not a valid email address."]}}


def test_schemas_it_cannot_judge_exactly_go_to_marshmallow():
    data = {"user_id": 7, "usdt_value": "49.99"}
    assert quick_accepts(EventType.WALLET_DEPOSIT_COMPLETED, data) is None  # a Decimal is not its JSON value
    assert load_data(EventType.WALLET_DEPOSIT_COMPLETED, data)["usdt_value"] == SCHEMAS[
        EventType.WALLET_DEPOSIT_COMPLETED]().load(data)["usdt_value"]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
                    | st.sampled_from(["a@example.com", "user", "guest", "2026-01-01T00:00:00Z"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(event_type=st.sampled_from(QUICK_TYPES), data=st.data())
def test_arbitrary_values_in_known_fields_get_marshmallows_verdict(event_type, data):
    valid = VALID[event_type]
    keys = data.draw(st.lists(st.sampled_from(sorted(valid)), max_size=3, unique=True))
    changed = {**valid, **{key: data.draw(JSON) for key in keys}}
    assert_same_as_marshmallow(event_type, changed)
