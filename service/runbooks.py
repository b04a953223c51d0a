"""Runbooks as clients see them: the catalog in a directory, and a dry run (the plan a runbook would follow
for the incident an alert would open, nothing called). Running, cancelling, approving and rejecting steps
are decisions (service/decisions.py); docs/runbooks.md."""

from datetime import UTC, datetime
from pathlib import Path

from adapters.policy_files import load_policy
from adapters.runbook_files import load_runbooks
from domain.incident.lifecycle import new_incident
from domain.incident.state import Alert, IncidentStart, IncidentState
from domain.runbooks.catalog import RunbookSet
from domain.runbooks.plan import RunbookPlan, resolve_plan
from domain.runbooks.schema import Runbook


def runbook_catalog(directory: Path) -> RunbookSet:
    """Every valid runbook in `directory`, and each problem as `file: path.to.field: reason`."""
    return load_runbooks(directory)


def dry_run_alerts(alerts: list[dict]) -> list[Alert]:
    """Alertmanager-shaped alerts (`labels`, …) as the incident's; ValidationError names the field that is wrong."""
    return [Alert(fingerprint=a.get("fingerprint") or f"dry-run-{i}", status=a.get("status", "firing"),
                  labels=a.get("labels") or {}, annotations=a.get("annotations") or {})
            for i, a in enumerate(alerts)]


def dry_run_incident(alerts: list[Alert], service: str | None, policy_dir: Path) -> IncidentState:
    """The incident the gateway would open for these alerts (severity via the policy)."""
    first = alerts[0].labels
    start = IncidentStart(
        id="dry-run", title=first.get("alertname", "dry run"), service=service or first.get("service", "unknown"),
        declared_by="dry-run", source="alertmanager", alerts=alerts,
    )
    return new_incident(load_policy(policy_dir), start, datetime.now(UTC))


def dry_run_plan(runbook: Runbook, state: IncidentState, directory: str) -> RunbookPlan:
    """The resolved steps for this incident (RunbookError lists why the runbook would refuse to start)."""
    return resolve_plan(runbook, state, directory)
