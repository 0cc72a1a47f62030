"""Traces (OpenTelemetry): one ticket reply is one trace, from the gateway to the email.

The gateway starts a trace for each request (a client's `traceparent` is not trusted);
its call to a service carries `traceparent` (W3C trace context); the outbox stores the
current one in the event's envelope (`Envelope.traceparent`), the relay's publish and
each consumer's handling continue it.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (then spans go there over OTLP/HTTP), or
a test gave its own tracer provider (`use_provider`): every function here is then a no-op.
The provider is this module's, not OpenTelemetry's global one, so a test can take it back.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.events import valid_traceparent

PROPAGATOR = TraceContextTextMapPropagator()
TRACER_NAME = "support-platform"

_provider = None


def configure(endpoint: str | None, service: str) -> None:
    """Once per process: export spans to `endpoint` (an OTLP/HTTP collector) when it is set."""
    if _provider is not None or not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    use_provider(provider)


def use_provider(provider) -> None:
    """Make spans with `provider` (an SDK TracerProvider); None turns tracing off."""
    global _provider
    _provider = provider


def enabled() -> bool:
    return _provider is not None


def _tracer():
    return _provider.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The traceparent of the span in progress, for an event's envelope; None without one."""
    if not enabled():
        return None
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def inject(headers: dict) -> dict:
    """Add the current span's `traceparent` to outgoing request headers."""
    if enabled():
        PROPAGATOR.inject(headers)
    return headers


@contextmanager
def _span(name: str, parent, kind: SpanKind, attributes: dict | None) -> Iterator:
    with _tracer().start_as_current_span(name, context=parent, kind=kind,
                                                             attributes=attributes or {}) as span:
        yield span


def continued(traceparent: str | None, name: str, kind: SpanKind = SpanKind.CONSUMER,
              attributes: dict | None = None):
    """A span continuing `traceparent` (from an envelope), or a new trace without one."""
    if not enabled():
        return nullcontext()
    parent = PROPAGATOR.extract({"traceparent": traceparent}) if valid_traceparent(traceparent) else None
    return _span(name, parent, kind, attributes)


def child(name: str, kind: SpanKind = SpanKind.INTERNAL, attributes: dict | None = None):
    """A span under the current one."""
    return _span(name, None, kind, attributes) if enabled() else nullcontext()


class ServerSpans:
    """A SERVER span around each request of a Flask app (see shared.web.install_tracing)."""

    def __init__(self, service: str, trust_incoming: bool) -> None:
        self.service = service
        self.trust_incoming = trust_incoming

    def start(self, method: str, route: str, headers: Mapping):
        if not enabled():
            return None
        parent = PROPAGATOR.extract(headers) if self.trust_incoming else context.Context()
        span = _tracer().start_span(
            f"{method} {route}", context=parent, kind=SpanKind.SERVER,
            attributes={"service.component": self.service, "http.request.method": method, "http.route": route})
        return span, context.attach(trace.set_span_in_context(span))

    @staticmethod
    def finish(started) -> None:
        if started is None:
            return
        span, token = started
        if span.attributes.get("http.response.status_code", 0) >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        context.detach(token)
