"""Folding an alert group's notification into an incident. Each notification (Alertmanager, Grafana,
PagerDuty, a drill) is a full snapshot of the group: new fingerprints join the incident, resolved ones are
marked, the worst alert severity raises the incident's. Once every alert is resolved (and none the sender
left out may still fire) the incident mitigates itself; a human still resolves it. An alert firing again
after that puts the incident back where it was and pages again (docs/gateway.md "Alert semantics")."""

from datetime import datetime

from pydantic import BaseModel, Field

from domain.alerts.limits import bounded_alerts
from domain.alerts.mapping import severity_for_labels
from domain.alerts.timeline import AlertLines
from domain.common.limits import ALERTS_PER_INCIDENT
from domain.incident.phase_changes import advance, note_phase_change
from domain.incident.phases import Phase
from domain.incident.state import Alert, IncidentState
from domain.policy.model import Policy


class AlertSnapshot(BaseModel):
    source: str = Field(description="alertmanager | grafana | pagerduty | generic | drill")
    alerts: list[Alert]
    received_at: datetime | None = None
    hidden: int = Field(default=0, ge=0, description="Alerts of the group not listed that may still fire: left "
                                                     "out by the sender (Alertmanager's truncatedAlerts) or cut "
                                                     "at the door (domain/common/limits.py)")


class AlertChanges(BaseModel):
    new: list[str] = []
    resolved: list[str] = []
    refired: list[str] = []
    severity_raised: bool = False
    mitigated: bool = False
    reopened: bool = False
    hidden_changed: bool = False

    @property
    def any(self) -> bool:
        return bool(self.new or self.resolved or self.refired or self.severity_raised or self.mitigated
                    or self.reopened or self.hidden_changed)


def merge_snapshot(policy: Policy, state: IncidentState, snapshot: AlertSnapshot, now: datetime) -> AlertChanges:
    alerts, hidden = bounded_alerts(snapshot.alerts, snapshot.hidden)
    lines = AlertLines(state, now, snapshot.source)
    if not state.phase.is_open:
        changes = _after_resolution(state, alerts, lines)
        lines.close()
        return changes
    changes = AlertChanges()
    for alert in alerts:
        known = state.alerts.get(alert.fingerprint)
        alert = _with_known_details(known, alert)
        if known is None:
            if len(state.alerts) >= ALERTS_PER_INCIDENT:
                hidden += alert.status == "firing"  # over the incident's limit: counted, not held
                continue
            changes.new.append(alert.fingerprint)
            lines.changed(alert)
        elif known.status != alert.status:
            (changes.resolved if alert.status == "resolved" else changes.refired).append(alert.fingerprint)
            lines.changed(alert)
        state.alerts[alert.fingerprint] = alert
        if alert.status == "firing":
            _raise_severity(policy, state, alert, lines, changes)
    lines.close()
    if hidden != state.alerts_hidden:
        state.alerts_hidden, changes.hidden_changed = hidden, True
        lines.hidden(hidden)
    firing_again = any(state.alerts[f].status == "firing" for f in changes.new + changes.refired)
    if state.recovered_from is not None and policy.incident.alerts.reopen_on_refire and (
            firing_again or (changes.hidden_changed and hidden)):
        _reopen(state, now, snapshot.source, changes)
    elif state.alerts_all_resolved() and not state.phase.reached(Phase.MITIGATED):
        state.recovered_from = state.phase
        advance(state, Phase.MITIGATED, now, snapshot.source)
        state.note(now, "alert", snapshot.source, "all alerts resolved; incident mitigated — a responder still "
                                                  "resolves it")
        changes.mitigated = True
    return changes


def _with_known_details(known: Alert | None, alert: Alert) -> Alert:
    """A sender that names only the alert and its status (PagerDuty's `resolve`) keeps what the incident knows."""
    if known is None or alert.labels or alert.annotations:
        return alert
    return known.model_copy(update={"status": alert.status, "ends_at": alert.ends_at or known.ends_at})


def _raise_severity(policy: Policy, state: IncidentState, alert: Alert, lines: AlertLines,
                    changes: AlertChanges) -> None:
    severity = severity_for_labels(policy.incident.alert_mapping, alert.labels)
    if severity.is_worse_than(state.severity):
        lines.severity(state.severity, severity, alert)
        state.severity = severity
        changes.severity_raised = True


def _reopen(state: IncidentState, now: datetime, actor: str, changes: AlertChanges) -> None:
    """An alert fired again after the incident mitigated itself: back to the phase it had, paged again."""
    back_to = state.recovered_from or Phase.DETECTED
    state.note(now, "alert", actor, f"an alert fired again after the incident had mitigated itself: back to "
                                    f"{back_to.value}")
    note_phase_change(state, now, actor, state.phase, back_to)
    state.phase, state.mitigated_at, state.recovered_from = back_to, None, None
    state.refired_at.append(now)
    changes.reopened = True


def _after_resolution(state: IncidentState, alerts: list[Alert], lines: AlertLines) -> AlertChanges:
    """A resolved incident (awaiting its postmortem) does not reopen, but a re-firing alert is never silent: it
    lands in the timeline and the incident channel; and an alert that resolves is recorded, so the closed
    incident does not show it firing. Once the incident is closed the gateway opens a new one."""
    changes = AlertChanges()
    for alert in alerts:
        known = state.alerts.get(alert.fingerprint)
        alert = _with_known_details(known, alert)
        if alert.status == "firing" and (known is None or known.status != "firing"):
            if known is None and len(state.alerts) >= ALERTS_PER_INCIDENT:
                continue
            changes.refired.append(alert.fingerprint)
            state.alerts[alert.fingerprint] = alert
            lines.after_resolution(alert, state.phase)
        elif alert.status == "resolved" and known is not None and known.status == "firing":
            changes.resolved.append(alert.fingerprint)
            state.alerts[alert.fingerprint] = alert
            lines.changed(alert)
    return changes
