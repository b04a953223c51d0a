"""Alert groups for tests: an incident opened by alerts, snapshots of its group, the actions due."""

from datetime import UTC, datetime

from domain.alerts.handling import AlertSnapshot
from domain.incident import planner
from domain.incident.lifecycle import new_incident
from domain.incident.state import Alert, IncidentStart

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
FRIENDS = {"alertname": "FriendsApiErrors", "service": "friends"}  # sev2: acknowledge within 15 minutes


def alert(fingerprint: str, status: str = "firing", **labels: str) -> Alert:
    return Alert(fingerprint=fingerprint, status=status, labels={**FRIENDS, **labels},
                 annotations={"summary": f"{fingerprint} is failing"})


def snapshot(*alerts: Alert, hidden: int = 0) -> AlertSnapshot:
    return AlertSnapshot(source="alertmanager", alerts=list(alerts), hidden=hidden)


def alert_incident(policy, *alerts: Alert):
    start = IncidentStart(id="am-1", title="FriendsApiErrors", service="friends", declared_by="alertmanager",
                          source="alertmanager", alerts=list(alerts))
    return new_incident(policy, start, T0)


def due_keys(policy, state, at: datetime) -> list[str]:
    return [a.key for a in planner.plan(policy, state, at).due]
