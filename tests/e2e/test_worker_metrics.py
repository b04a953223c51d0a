"""The worker's /metrics scraped over HTTP during a real incident on the dev server (docs/deploy.md)."""

import json
import re
from datetime import datetime

import httpx
import pytest

from adapters.channels import RecordingChannel
from testkit.deploy import metrics_port, scrape, value
from testkit.environment import PROJECT
from testkit.helpers import incident
from testkit.polling import wait_until_sync
from testkit.processes import stack_env, start_worker

pytestmark = pytest.mark.slow


DASHBOARD = PROJECT / "docs" / "grafana-dashboard.json"
# Series that exist once something failed or a runbook ran (tests/unit/observability/test_app_metrics.py covers them).
ON_FAILURE_ONLY = {"incidentflow_notification_failures_total", "incidentflow_remediation_steps_total"}


def dashboard_series() -> set[str]:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    exprs = [target["expr"] for panel in panels for target in panel.get("targets", [])]
    return set(re.findall(r"\b((?:incidentflow|temporal)_[a-z_]+)\{", " ".join(exprs)))


def test_the_dashboard_charts_only_series_the_code_defines():
    from gateway.metrics import Metrics
    from observability.metrics import REGISTRY
    from workflows.metrics import ESCALATIONS, TIME_TO_ACKNOWLEDGE

    defined = {f"{ESCALATIONS}_total", f"{TIME_TO_ACKNOWLEDGE}_bucket", "incidentflow_incidents_open"}
    for registry in (REGISTRY, Metrics().registry):
        defined |= {f"{family.name}_total" for family in registry.collect() if family.type == "counter"}
    ours = {s for s in dashboard_series() if s.startswith("incidentflow_")}
    assert ours and ours <= defined, ours - defined


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_worker_metrics_follow_an_incident(dev_server, tmp_path):
    env = stack_env(dev_server, tmp_path)
    port = metrics_port()
    recorder = RecordingChannel(env["INCIDENTFLOW_RECORD_FILE"])
    worker = start_worker(env, tmp_path / "worker.log", metrics_port=port)
    try:
        wait_until_sync(lambda: healthy(port), "the worker's /healthz", 30)
        incident_id = incident(env, "declare", "--service", "payments", "--severity", "sev0",
                               "--title", "Payments down", "--by", "minsu").stdout.strip()
        wait_until_sync(lambda: len(recorder.pages()) >= 2, "the primary and the immediate Sev0 escalation pages", 30)

        def open_sev0() -> dict | None:
            samples = scrape(port)
            return samples if value(samples, "incidentflow_incidents_open", severity="sev0", phase="detected") else None

        samples = wait_until_sync(open_sev0, "the open Sev0 incident in /metrics", 20)
        assert value(samples, "incidentflow_incidents_open", severity="sev0", phase="detected") == 1
        assert value(samples, "incidentflow_incidents_open", severity="sev1", phase="detected") == 0
        assert value(samples, "incidentflow_pages_sent_total", tier="primary", channel="record") == 1
        assert value(samples, "incidentflow_pages_sent_total", tier="tertiary", channel="record") == 1
        assert value(samples, "incidentflow_escalations_fired_total", rule="sev0-immediate", tier="tertiary",
                     paged="true") == 1
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_count", severity="sev0") is None

        incident(env, "ack", incident_id, "--by", "minsu")
        shown = json.loads(incident(env, "show", incident_id, "--json").stdout)
        waited = (datetime.fromisoformat(shown["acknowledged_at"])
                  - datetime.fromisoformat(shown["detected_at"])).total_seconds()
        samples = wait_until_sync(lambda: (s := scrape(port)) and value(
            s, "incidentflow_time_to_acknowledge_seconds_count", severity="sev0") and s, "the acknowledgement", 10)
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_count", severity="sev0") == 1
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_sum", severity="sev0") == pytest.approx(
            waited, abs=0.01)
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_bucket", severity="sev0", le="30") == (
            1 if waited <= 30 else 0)
        # the Temporal SDK's own metrics come through the same page, with what the dashboard charts
        names = {name for name, _ in samples}
        for series in dashboard_series():
            if not series.startswith("incidentflow_gateway_") and not series.endswith("_failed_total") \
                    and series not in ON_FAILURE_ONLY:
                assert series in names or series.replace("_bucket", "_count") in names, series

        incident(env, "resolve", incident_id, "--by", "minsu", "--summary", "fixed")
        samples = wait_until_sync(lambda: (s := scrape(port)) and not value(
            s, "incidentflow_incidents_open", severity="sev0", phase="detected") and s, "the resolved incident", 20)
        assert all(v == 0 for (n, _), v in samples.items() if n == "incidentflow_incidents_open")
        assert value(samples, "incidentflow_pages_sent_total", tier="primary", channel="record") == 1
    finally:
        worker.terminate()
        worker.wait(timeout=20)
