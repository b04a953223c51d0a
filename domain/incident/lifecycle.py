"""Creating an incident record from a declaration or an alert, under a policy."""

from datetime import datetime

from domain.alerts.limits import bounded_alerts
from domain.incident.decision_rules import complete_checklist
from domain.incident.state import ChecklistEntry, IncidentStart, IncidentState
from domain.policy.model import Policy


def new_incident(policy: Policy, start: IncidentStart, now: datetime) -> IncidentState:
    severity = start.severity_under(policy)
    alerts, _ = bounded_alerts(start.alerts)  # the start's signal snapshot says how many more there are
    state = IncidentState(
        id=start.id,
        title=start.title,
        service=start.service,
        severity=severity,
        impact=start.impact,
        drill=start.drill,
        source=start.source,
        declared_by=start.declared_by,
        started_at=start.started_at or now,
        detected_at=now,
        alerts={a.fingerprint: a for a in alerts},
        checklist=[
            ChecklistEntry(
                item=item.id, text=item.text, within_seconds=int(item.within.total_seconds()),
                done_when=item.done_when, group=item.group,
            )
            for item in policy.incident.checklist.items
        ],
    )
    origin = "alert" if start.alerts else "declaration"
    state.note(now, "declared", start.declared_by,
               f"{severity.value} incident declared ({origin}): {start.title}" + (" [DRILL]" if start.drill else ""))
    complete_checklist(state, "declared", now, "incidentflow")
    return state
