"""The policy files: they reproduce the seeds, validate, publish a JSON Schema, and report errors precisely."""

import json
import shutil
import subprocess
import sys
from datetime import timedelta

from cli.policy_cmd import schema_documents
from domain.incident.severity import Severity, Tier
from testkit.environment import POLICY_DIR


def test_shipped_policy_reproduces_the_seeds(policy):
    response = {s: policy.severity(s).response_time for s in Severity}
    assert response == {Severity.SEV0: timedelta(0), Severity.SEV1: timedelta(minutes=5),
                        Severity.SEV2: timedelta(minutes=15), Severity.SEV3: timedelta(minutes=30)}
    assert {r.value for r in policy.incident.roles} == {"ic", "ops", "comms", "liaison", "scribe"}
    assert policy.incident.communication.internal_update_every == timedelta(minutes=15)
    assert policy.incident.communication.templates.declaration.startswith("🚨 INCIDENT DECLARED 🚨\n서비스:")
    rules = {(r.id, r.after, r.tier) for r in policy.oncall.escalation.rules}
    assert rules == {
        ("sev0-immediate", timedelta(0), Tier.TERTIARY),
        ("sev1-15m", timedelta(minutes=15), Tier.SECONDARY),
        ("sev1-30m", timedelta(minutes=30), Tier.TERTIARY),
        ("sev0-sev1-1h", timedelta(hours=1), Tier.EXECUTIVE),
        ("sev2-1h", timedelta(hours=1), Tier.TERTIARY),
        ("sev3-4h", timedelta(hours=4), Tier.TERTIARY),
    }
    rotation = policy.oncall.rotation
    assert (rotation.handover_weekday, rotation.handover_time.isoformat(), rotation.timezone) == (
        "monday", "09:00:00", "Asia/Seoul")


def test_alert_mapping_follows_the_seed_examples(policy):
    from domain.alerts.mapping import severity_for_labels

    mapping = policy.incident.alert_mapping
    examples = {
        "GameServerDown": Severity.SEV0, "DatabaseConnectionsExhausted": Severity.SEV0,
        "PaymentErrors": Severity.SEV1, "LoadingTimeHigh": Severity.SEV3,
    }
    for alertname, expected in examples.items():
        assert severity_for_labels(mapping, {"alertname": alertname}) == expected, alertname
    assert severity_for_labels(mapping, {"alertname": "X", "service": "matchmaking"}) == Severity.SEV1
    assert severity_for_labels(mapping, {"alertname": "X", "service": "leaderboard"}) == Severity.SEV2
    assert severity_for_labels(mapping, {"alertname": "X", "severity": "warning"}) == Severity.SEV2


def test_published_json_schema_is_current():
    for name, document in schema_documents().items():
        published = json.loads((POLICY_DIR / "schema" / name).read_text(encoding="utf-8"))
        hint = "run `incident policy schema --out policies/schema`"
        assert published == document, f"policies/schema/{name} is stale: {hint}"


def run_check(directory) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "policy", "check", str(directory)],
                          capture_output=True, text=True, timeout=60)


def test_policy_check_ok_and_precise_errors(tmp_path):
    assert run_check(POLICY_DIR).stdout.strip() == "ok"
    broken = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, broken)
    incident = broken / "incident-management-policy.yaml"
    incident.write_text(incident.read_text(encoding="utf-8").replace("response_time: 5m", "response_time: soon"),
                        encoding="utf-8")
    oncall = broken / "oncall-escalation-policy.yaml"
    oncall.write_text(oncall.read_text(encoding="utf-8").replace("tier: executive", "tier: ceo"), encoding="utf-8")
    result = run_check(broken)
    assert result.returncode == 2
    lines = result.stdout.strip().splitlines()
    assert f"{incident}: severities.sev1.response_time: invalid duration 'soon': use a number and a unit " \
           "s/m/h/d/w, e.g. 15m, 1h, 48h" in lines
    assert any(line.startswith(f"{oncall}: escalation.rules.3.tier: Input should be") for line in lines)


def test_broken_yaml_names_the_line(tmp_path):
    broken = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, broken)
    (broken / "oncall-escalation-policy.yaml").write_text("rotation: [unclosed\n", encoding="utf-8")
    result = run_check(broken)
    assert result.returncode == 2
    assert "oncall-escalation-policy.yaml: line 2: invalid YAML" in result.stdout


def test_worker_refuses_to_start_on_a_broken_policy(tmp_path):
    import os

    broken = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, broken)
    (broken / "incident-management-policy.yaml").write_text("severities: {}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "worker"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "INCIDENTFLOW_POLICY_DIR": str(broken),
                                 "TEMPORAL_ADDRESS": "127.0.0.1:1"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: the policy is invalid; the worker does not start:")
    assert "incident-management-policy.yaml: checklist: Field required" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_region_is_not_a_time_zone():
    """`Asia` is a directory of the zone database, not a zone: refused with the same clear message."""
    import pytest
    from pydantic import TypeAdapter, ValidationError

    from domain.policy.fields import ZoneName

    for name in ("Asia", "Asia/", "Nowhere/City"):
        with pytest.raises(ValidationError, match="unknown IANA time zone"):
            TypeAdapter(ZoneName).validate_python(name)
    assert TypeAdapter(ZoneName).validate_python("Asia/Seoul") == "Asia/Seoul"
