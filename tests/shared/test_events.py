"""The catalogue and the envelope."""
import json
from pathlib import Path

import pytest

from shared.events import CATALOGUE, SCHEMAS, Envelope, EventType, InvalidEvent, is_secret


def test_every_event_type_has_a_schema_and_a_versioned_name():
    assert set(SCHEMAS) == set(EventType)
    for event_type in EventType:
        noun, verb, version = event_type.value.split(".")
        assert noun and verb and version.startswith("v") and version[1:].isdigit()


def test_docs_events_md_lists_every_event_type():
    """The catalogue's page (architecture.md's table, with the types added since) names each type."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
    assert [t.value for t in EventType if f"`{t.value}`" not in page] == []


def test_the_catalogue_marks_the_types_whose_data_is_a_secret():
    assert set(CATALOGUE) == set(EventType)
    assert {t for t in EventType if is_secret(t)} == {EventType.GUEST_VERIFICATION_REQUESTED,
                                                      EventType.USER_ANTI_PHISHING_CODE_CHANGED}
    assert is_secret("guest.verification_requested.v1") and not is_secret("no.such.v1")


def test_envelope_round_trips_as_plain_json():
    envelope = Envelope.new(EventType.WALLET_DEPOSIT_COMPLETED, {"user_id": 7, "usdt_value": "49.99"}, "gateway",
                            correlation_id="req-1")
    raw = json.loads(envelope.to_json())
    assert set(raw) == {"id", "type", "occurred_at", "producer", "correlation_id", "data"}
    assert raw["occurred_at"].endswith("Z")
    assert raw["data"]["usdt_value"] == "49.99"
    assert Envelope.from_dict(raw) == envelope


@pytest.mark.parametrize("raw", [
    {"type": "ticket.created.v1", "occurred_at": "2026-01-01T00:00:00Z", "data": {}},
    {"id": "not-a-uuid", "type": "ticket.created.v1", "occurred_at": "2026-01-01T00:00:00Z", "data": {}},
    {"id": "6f1c5a0e-0000-4000-8000-000000000000", "type": "no.such.v1", "occurred_at": "2026-01-01T00:00:00Z",
     "data": {}},
    {"id": "6f1c5a0e-0000-4000-8000-000000000000", "type": "user.app_installed.v1", "occurred_at": "yesterday",
     "data": {"user_id": 1}},
    {"id": "6f1c5a0e-0000-4000-8000-000000000000", "type": "user.app_installed.v1",
     "occurred_at": "2026-01-01T00:00:00Z", "data": {"user_id": "seven"}},
])
def test_malformed_envelopes_are_refused(raw):
    with pytest.raises(InvalidEvent):
        Envelope.from_dict(raw)


def test_unknown_data_fields_are_kept_for_newer_producers():
    envelope = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 1, "extra": "x"}, "test")
    assert envelope.data["extra"] == "x"
