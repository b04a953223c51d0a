"""service/runbooks.py: the dry run of a shipped runbook for the incident an alert would open."""

import pytest
from pydantic import ValidationError

from service.runbooks import dry_run_alerts, dry_run_incident, dry_run_plan, runbook_catalog
from testkit.environment import POLICY_DIR, PROJECT

LATENCY = {"labels": {"alertname": "HighLatency", "service": "game-api", "severity": "critical"}}


def test_a_latency_alert_plans_the_high_latency_steps_for_its_service():
    catalog = runbook_catalog(PROJECT / "runbooks")
    assert catalog.problems == []
    state = dry_run_incident(dry_run_alerts([LATENCY]), None, POLICY_DIR)
    assert (state.service, state.title) == ("game-api", "HighLatency")
    plan = dry_run_plan(catalog.get("high-latency"), state, catalog.directory)
    assert plan.inputs == {"service": "game-api"}
    assert [s.id for s in plan.steps][:3] == ["check-latency", "rate-limit", "scale-out"]


def test_an_alert_without_labels_names_the_field():
    with pytest.raises(ValidationError, match="labels"):
        dry_run_alerts([{"labels": "not a mapping"}])
