"""A drill incident people worked by hand (a live drill with autoplay off), for the participant and archive
tests: declared at T0, primary minsu and secondary jiyoung paged at once, then the given decisions."""

from datetime import UTC, datetime, timedelta

from domain.drills.scenario import Scenario
from domain.incident import decision_rules as rules
from domain.incident import decisions as d
from domain.incident.lifecycle import new_incident
from domain.incident.severity import Severity, Tier
from domain.incident.state import IncidentStart, IncidentState, Page

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def declared_scenario(severity: str, events: list[dict] | None = None) -> Scenario:
    return Scenario.model_validate({
        "name": "matchmaking", "events": events or [],
        "start": {"declare": {"service": "matchmaking", "severity": severity, "title": "no matches", "by": "minsu"}}})


def worked_incident(policy, severity: Severity, decisions: list[tuple[float, d.Decision]],
                    start_at: datetime = T0) -> IncidentState:
    """The incident after `decisions` (minutes after the start, decision), with incidentflow's and the alert
    source's own entries beside them."""
    start = IncidentStart(id="drill-x", title="no matches", service="matchmaking", severity=severity,
                          declared_by="minsu", source="drill", drill=True)
    state = new_incident(policy, start, start_at)
    state.pages.append(Page(tier=Tier.PRIMARY, target="minsu", at=start_at, reason="new incident", key="page:initial"))
    state.pages.append(Page(tier=Tier.SECONDARY, target="jiyoung", at=start_at, reason="immediately", key="rule:x"))
    for minutes, decision in decisions:
        rules.check(state, decision)
        rules.apply(state, decision, start_at + timedelta(minutes=minutes))
    state.note(start_at + timedelta(minutes=2), "comms_reminder", "incidentflow", "time for an update")
    state.note(start_at + timedelta(minutes=6), "decision", "drill", "severity sev1 → sev1 (alert x)")
    return state
