"""Optional OpenTelemetry tracing: gateway request → workflow → activities in one trace.

On when OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP over HTTP, e.g. http://otel-collector:4318) or when a test
installs its own tracer provider. Off, nothing here is imported or run: no interceptor, no middleware.
Needs the `otel` extra: pip install 'incidentflow[otel]'."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from settings import Settings

_provider: TracerProvider | None = None
TRACER_NAME = "incidentflow"


def install(provider: TracerProvider | None) -> None:
    """Use this tracer provider from now on (tests: one with an in-memory exporter); None turns tracing off."""
    global _provider
    _provider = provider


def provider_for(settings: Settings, service: str) -> TracerProvider | None:
    """The process's tracer provider; the first call with an endpoint set builds the OTLP exporter."""
    if _provider is None and settings.otel_exporter_otlp_endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import SERVICE_NAME, Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise RuntimeError("OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
                               "pip install 'incidentflow[otel]'") from exc
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name or service}))
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        install(provider)
    return _provider


def client_interceptors(settings: Settings, service: str) -> list[Any]:
    """Interceptors for Client.connect: the client spans, and (through the client) the worker's spans."""
    provider = provider_for(settings, service)
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(provider.get_tracer(TRACER_NAME))]


def instrument_gateway(app: Any, settings: Settings) -> None:
    """One server span per HTTP request (W3C traceparent honoured); Temporal calls made while answering
    it become its children. Add it after every other middleware, so it is the outermost."""
    provider = provider_for(settings, "incidentflow-gateway")
    if provider is not None:
        app.add_middleware(RequestSpans, tracer=provider.get_tracer(TRACER_NAME))


class RequestSpans:
    """A pure ASGI middleware (opentelemetry-instrumentation-asgi is not a dependency; this is all we need)."""

    def __init__(self, app: Any, tracer: Any):
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope.get("headers", [])}
        attributes = {"http.request.method": scope["method"], "url.path": scope["path"]}
        with self.tracer.start_as_current_span(f"{scope['method']} {scope['path']}", context=propagate.extract(carrier),
                                               kind=SpanKind.SERVER, attributes=attributes) as span:

            async def traced_send(message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            await self.app(scope, receive, traced_send)
