"""One agent reply is one trace: the gateway's request, the tickets service's, the relay's publish and the
email's delivery share a trace id. The product runs in this process (`make run`'s Product, on the
in-process bus), its spans in an in-memory exporter."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.events import Envelope, EventType
from tests.e2e.harness import SERVICE_NAMES, RunningProduct, create_agent, register_and_login, wait_for
from tests.support import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    yield exporter
    tracing.use_provider(None)
    provider.shutdown()


@pytest.fixture
def embedded_product(tmp_path, monkeypatch, spans):
    from services.__main__ import Product

    port = free_port()
    for key in [k for k in os.environ if k.endswith("DATABASE_URL")]:
        monkeypatch.delenv(key)
    env = {"PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}", "DATA_DIR": str(tmp_path / "data"),
           "AMQP_URL": "memory://", "EVENT_EXCHANGE": f"test.events.{uuid.uuid4().hex[:8]}",
           "QUEUE_PREFIX": f"test-{uuid.uuid4().hex[:8]}.", "PASSWORD_HASH_MEMORY_KIB": "1024",
           "PASSWORD_HASH_TIME_COST": "1", "MAIL_CATCHER_PORT": str(free_port()),
           **{f"{name.upper()}_URL": f"http://127.0.0.1:{free_port()}" for name in SERVICE_NAMES}}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    product = Product()
    product.start("memory://")
    running = RunningProduct(f"http://127.0.0.1:{port}", Path(env["DATA_DIR"]), dict(os.environ),
                             process=None, log_path=tmp_path / "none.log")
    wait_for(lambda: requests.get(running.url("/readyz"), timeout=2).status_code == 200, timeout=30,
             message="the embedded product is ready")
    yield running
    product.stop()


def test_an_agent_reply_is_one_trace_from_the_gateway_to_the_email(embedded_product, spans):
    alice = register_and_login(embedded_product)
    number = alice.post("/api/v1/tickets", json={"subject": "Deposit", "category": "deposit_withdrawal",
                                                 "description": "Missing."}).json()["ticket"]["number"]
    agent = create_agent(embedded_product)
    spans.clear()
    reply = agent.post(f"/api/v1/agent/tickets/{number}/messages",
                       json={"body": "It is credited now.", "kind": "reply"})
    assert reply.status_code == 201, reply.text

    def gateway_span():
        return next((s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER
                     and s.attributes.get("service.component") == "gateway"
                     and s.attributes.get("http.request.method") == "POST"), None)

    wait_for(lambda: gateway_span() is not None, timeout=10, message="the gateway's span")
    trace_id = gateway_span().context.trace_id

    def in_trace():
        return [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]

    def email_delivered():
        return any(s.name.startswith("deliver ticket.") and s.kind == SpanKind.CLIENT for s in in_trace())

    wait_for(email_delivered, timeout=30, message="the email's delivery span in the gateway's trace")
    found = in_trace()
    components = {s.attributes.get("service.component") for s in found if s.kind == SpanKind.SERVER}
    assert {"gateway", "tickets"} <= components
    assert any(s.kind == SpanKind.PRODUCER and s.name.startswith("publish ticket.") for s in found)
    tickets_span = next(s for s in found if s.attributes.get("service.component") == "tickets")
    assert tickets_span.parent is not None and tickets_span.parent.trace_id == trace_id
    # A span of another request is another trace: the gateway starts one per request.
    other = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER
             and s.attributes.get("service.component") == "gateway" and s.context.trace_id != trace_id]
    assert all(s.parent is None for s in other)


def test_envelopes_carry_the_traceparent_only_when_traced():
    plain = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 1}, "test")
    assert "traceparent" not in plain.to_dict()
    parent = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    traced = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 1}, "test", traceparent=parent)
    assert Envelope.from_dict(traced.to_dict()).traceparent == parent
    assert Envelope.from_dict({**plain.to_dict(), "traceparent": "not-a-trace"}).traceparent is None
