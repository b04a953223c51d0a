"""Folding an alert group's notification into an incident. Each notification (Alertmanager, Grafana,
PagerDuty, a drill) is a full snapshot of the group: new fingerprints join the incident, resolved ones are
marked, the worst alert severity raises the incident's, and once every alert is resolved the incident
moves to `mitigated` (a human still resolves it)."""

from datetime import datetime

from pydantic import BaseModel, Field

from domain.alert_mapping import severity_for_labels
from domain.decisions import advance
from domain.incident import Alert, IncidentState
from domain.phases import Phase
from domain.policy import Policy


class AlertSnapshot(BaseModel):
    source: str = Field(description="alertmanager | grafana | pagerduty | generic | drill")
    alerts: list[Alert]
    received_at: datetime | None = None


class AlertChanges(BaseModel):
    new: list[str] = []
    resolved: list[str] = []
    refired: list[str] = []
    severity_raised: bool = False
    mitigated: bool = False

    @property
    def any(self) -> bool:
        return bool(self.new or self.resolved or self.refired or self.severity_raised or self.mitigated)


def _describe(alert: Alert) -> str:
    name = alert.labels.get("alertname", alert.fingerprint)
    summary = alert.annotations.get("summary")
    return f"{name}" + (f": {summary}" if summary else "")


def merge_snapshot(policy: Policy, state: IncidentState, snapshot: AlertSnapshot, now: datetime) -> AlertChanges:
    changes = AlertChanges()
    actor = snapshot.source
    if not state.phase.is_open:
        return _after_resolution(state, snapshot, now)
    for alert in snapshot.alerts:
        known = state.alerts.get(alert.fingerprint)
        if known is None:
            changes.new.append(alert.fingerprint)
            state.note(now, "alert", actor, f"{alert.status}: {_describe(alert)}")
        elif known.status != alert.status:
            (changes.resolved if alert.status == "resolved" else changes.refired).append(alert.fingerprint)
            state.note(now, "alert", actor, f"{alert.status}: {_describe(alert)}")
        state.alerts[alert.fingerprint] = alert
        if alert.status == "firing":
            severity = severity_for_labels(policy.incident.alert_mapping, alert.labels)
            if severity.is_worse_than(state.severity):
                state.note(now, "decision", actor,
                           f"severity {state.severity.value} → {severity.value} (alert {_describe(alert)})")
                state.severity = severity
                changes.severity_raised = True
    if state.alerts and all(a.status == "resolved" for a in state.alerts.values()) and not state.phase.reached(
        Phase.MITIGATED
    ):
        advance(state, Phase.MITIGATED, now, actor)
        state.note(now, "alert", actor, "all alerts resolved; incident mitigated — a responder still resolves it")
        changes.mitigated = True
    return changes


def _after_resolution(state: IncidentState, snapshot: AlertSnapshot, now: datetime) -> AlertChanges:
    """A resolved incident (awaiting its postmortem) does not reopen, but a re-firing alert is never
    silent: it lands in the timeline and the incident channel. Once the incident is closed the gateway
    opens a new one."""
    changes = AlertChanges()
    for alert in snapshot.alerts:
        known = state.alerts.get(alert.fingerprint)
        if alert.status == "firing" and (known is None or known.status != "firing"):
            changes.refired.append(alert.fingerprint)
            state.alerts[alert.fingerprint] = alert
            state.note(now, "alert", snapshot.source,
                       f"firing again after the incident was {state.phase.value}: {_describe(alert)}")
    return changes
