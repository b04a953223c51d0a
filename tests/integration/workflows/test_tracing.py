"""OpenTelemetry tracing (observability/tracing.py): one alert is one trace, from the gateway's HTTP request
through the workflow to its activities; with tracing off nothing is added."""

import uuid

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from observability import tracing
from settings import Settings
from testkit.gateway import address_of, alertmanager_group, served
from testkit.helpers import running_worker
from testkit.polling import wait_until
from worker import connect


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.install(None)
    provider.shutdown()


async def test_one_alert_is_one_trace_from_gateway_to_activities(spans, time_env, task_queue, recorder):
    address = address_of(time_env.client)
    client = await connect(Settings(temporal_address=address, temporal_namespace="default"))  # traced client
    async with running_worker(client, task_queue, recorder):
        with served(address, task_queue) as gateway:
            async with gateway.http() as http:
                answer = await http.post("/webhooks/alertmanager",
                                         json=alertmanager_group(f"group-{uuid.uuid4().hex}"))
            assert answer.status_code in (200, 202), answer.text
            async with gateway.http(token=None) as http:  # the gateway's own /metrics, over HTTP, mid-incident
                scraped = (await http.get("/metrics")).text
            assert 'incidentflow_gateway_incidents_started_total{source="alertmanager"} 1.0' in scraped
            await wait_until(lambda: recorder.pages() and any(
                s.name == "RunActivity:page_responder" for s in spans.get_finished_spans()), "the page and its span")

    finished = spans.get_finished_spans()
    request = [s for s in finished if s.kind == SpanKind.SERVER and s.name == "POST /webhooks/alertmanager"]
    assert len(request) == 1, [s.name for s in finished]
    root = request[0]
    assert root.parent is None and root.attributes["http.response.status_code"] == answer.status_code
    trace = [s for s in finished if s.context.trace_id == root.context.trace_id]
    names = {s.name for s in trace}
    assert {"SignalWithStartWorkflow:IncidentWorkflow", "RunWorkflow:IncidentWorkflow",
            "StartActivity:page_responder", "RunActivity:page_responder"} <= names, sorted(names)
    assert "RunActivity:load_policy_snapshot" not in names  # the gateway brought the policy snapshot along
    by_id = {s.context.span_id: s for s in trace}
    for span in trace:  # one tree: every span's parent is in the trace, up to the request
        while span.parent is not None:
            span = by_id[span.parent.span_id]
        assert span is root


def test_tracing_is_off_by_default():
    settings = Settings()  # no OTEL_EXPORTER_OTLP_ENDPOINT in the test environment
    assert tracing.client_interceptors(settings, "incidentflow-worker") == []
    app = create_app(settings)
    assert not any(m.cls is tracing.RequestSpans for m in app.user_middleware)


def test_an_otlp_endpoint_turns_tracing_on(monkeypatch):
    from temporalio.contrib.opentelemetry import TracingInterceptor

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "incidentflow-test")
    try:
        interceptors = tracing.client_interceptors(Settings(), "incidentflow-worker")
        assert [type(i) for i in interceptors] == [TracingInterceptor]
        provider = tracing.provider_for(Settings(), "ignored")
        assert provider.resource.attributes["service.name"] == "incidentflow-test"
        app = create_app(Settings())
        assert any(m.cls is tracing.RequestSpans for m in app.user_middleware)
    finally:
        provider = tracing.provider_for(Settings(otel_exporter_otlp_endpoint=None), "x")
        tracing.install(None)
        if provider is not None:
            provider.shutdown()
