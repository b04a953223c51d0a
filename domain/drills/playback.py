"""A scenario turned into workflow inputs: the drill's request and progress, the incident it starts and the alert
snapshots its events send (workflows/drill.py plays them; docs/drills.md)."""

from datetime import datetime

from pydantic import BaseModel, Field

from domain.alerts.handling import AlertSnapshot
from domain.drills.scenario import Event, Scenario
from domain.incident.state import Alert, IncidentStart
from domain.runbooks.status import StepSimulation


class DrillRequest(BaseModel):
    scenario: Scenario
    incident_id: str
    policy_dir: str | None = None
    speed: float = Field(default=1, gt=0)
    live: bool = False
    autoplay_decisions: bool = Field(default=True, description="Play the scripted decisions (off: people decide)")


class DrillProgress(BaseModel):
    incident_id: str
    events_played: int
    events_total: int
    next_event: str | None = None
    next_event_in_seconds: float | None = Field(default=None, description="Real seconds")


def incident_start(scenario: Scenario, incident_id: str, policy_dir: str | None, speed: float) -> IncidentStart:
    common = dict(id=incident_id, drill=True, policy_dir=policy_dir, roster=scenario.roster, drill_speed=speed,
                  source="drill", simulate=StepSimulation(steps=scenario.simulate.steps))
    if scenario.start.declare is not None:
        d = scenario.start.declare
        return IncidentStart(title=d.title, service=d.service, severity=d.severity, impact=d.impact,
                             declared_by=d.by, **common)
    alert = scenario.start.alert
    labels = alert.labels
    name = labels.get("alertname", "alert")
    return IncidentStart(
        title=alert.annotations.get("summary") or name,
        service=labels.get("service") or labels.get("job") or name,
        severity=None, impact=alert.annotations.get("description"), declared_by="alertmanager",
        alerts=[alert.to_alert()], **common,
    )


def initial_alerts(scenario: Scenario) -> dict[str, Alert]:
    alert = scenario.start.alert
    return {alert.fingerprint(): alert.to_alert()} if alert else {}


def apply_alert_event(alerts: dict[str, Alert], event: Event, at: datetime) -> AlertSnapshot:
    """Update the drill's alert group for an alert event and return the snapshot to send."""
    if event.alert_firing is not None:
        alert = event.alert_firing.to_alert().model_copy(update={"starts_at": at})
        alerts[alert.fingerprint] = alert
    else:
        for fingerprint, alert in list(alerts.items()):
            if all(alert.labels.get(k) == v for k, v in event.alert_resolved.items()):
                alerts[fingerprint] = alert.model_copy(update={"status": "resolved", "ends_at": at})
    return AlertSnapshot(source="drill", alerts=list(alerts.values()), received_at=at)
