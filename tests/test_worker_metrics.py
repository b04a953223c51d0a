"""The worker's /metrics scraped over HTTP during a real incident on the dev server (docs/deploy.md)."""

import json
import subprocess
import sys
from datetime import datetime

import httpx
import pytest

from activities.channels import RecordingChannel
from tests.deploy_support import metrics_port, scrape, stack_env, start_worker, value, wait_for

pytestmark = pytest.mark.slow


def incident(env, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


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
        wait_for(lambda: healthy(port), 30, "the worker's /healthz")
        incident_id = incident(env, "declare", "--service", "payments", "--severity", "sev0",
                               "--title", "Payments down", "--by", "minsu").strip()
        wait_for(lambda: len(recorder.pages()) >= 2, 30, "the primary and the immediate Sev0 escalation pages")

        def open_sev0() -> dict | None:
            samples = scrape(port)
            return samples if value(samples, "incidentflow_incidents_open", severity="sev0", phase="detected") else None

        samples = wait_for(open_sev0, 20, "the open Sev0 incident in /metrics")
        assert value(samples, "incidentflow_incidents_open", severity="sev0", phase="detected") == 1
        assert value(samples, "incidentflow_incidents_open", severity="sev1", phase="detected") == 0
        assert value(samples, "incidentflow_pages_sent_total", tier="primary", channel="record") == 1
        assert value(samples, "incidentflow_pages_sent_total", tier="tertiary", channel="record") == 1
        assert value(samples, "incidentflow_escalations_fired_total", rule="sev0-immediate", tier="tertiary",
                     paged="true") == 1
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_count", severity="sev0") is None
        # the Temporal SDK's own metrics come through the same page
        assert any(name.startswith("temporal_") for name, _ in samples), sorted({n for n, _ in samples})

        incident(env, "ack", incident_id, "--by", "minsu")
        shown = json.loads(incident(env, "show", incident_id, "--json"))
        waited = (datetime.fromisoformat(shown["acknowledged_at"])
                  - datetime.fromisoformat(shown["detected_at"])).total_seconds()
        samples = wait_for(lambda: (s := scrape(port)) and value(
            s, "incidentflow_time_to_acknowledge_seconds_count", severity="sev0") and s, 10, "the acknowledgement")
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_count", severity="sev0") == 1
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_sum", severity="sev0") == pytest.approx(
            waited, abs=0.01)
        assert value(samples, "incidentflow_time_to_acknowledge_seconds_bucket", severity="sev0", le="30") == (
            1 if waited <= 30 else 0)

        incident(env, "resolve", incident_id, "--by", "minsu", "--summary", "fixed")
        samples = wait_for(lambda: (s := scrape(port)) and not value(
            s, "incidentflow_incidents_open", severity="sev0", phase="detected") and s, 20, "the resolved incident")
        assert all(v == 0 for (n, _), v in samples.items() if n == "incidentflow_incidents_open")
        assert value(samples, "incidentflow_pages_sent_total", tier="primary", channel="record") == 1
    finally:
        worker.terminate()
        worker.wait(timeout=20)
