"""The incident list's rows and filters, from incident states (pure: no I/O)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints, field_validator

from domain.incident import planner
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from domain.incident.state import IncidentState
from domain.policy.model import Policy

Query = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class Filters(BaseModel):
    """The list's query string: `show=open|all`, `severity`, `service`, `phase`, `person` (paged, acknowledged or
    holding a role), `q` (words in the id, title, service or impact)."""

    show: Literal["open", "all"] = "open"
    severity: Severity | None = None
    service: Query | None = None
    phase: Phase | None = None
    person: Query | None = None
    q: Query | None = None

    @field_validator("severity", "phase", "service", "person", "q", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.model_dump(mode="json").items() if v is not None})


class Deadline(BaseModel):
    at: datetime
    what: str


class Row(BaseModel):
    id: str
    title: str
    service: str
    severity: Severity
    severity_name: str
    phase: Phase
    drill: bool
    detected_at: datetime
    paged: list[str]
    acknowledged_by: str | None
    ic: str | None
    next_deadline: Deadline | None


def people_of(state: IncidentState) -> set[str]:
    """Everyone the incident involves by name: paged, acknowledged, holding a role."""
    named = {p.target for p in state.pages if p.target} | {state.acknowledged_by} | set(
        state.roles.model_dump().values())
    return {who for who in named if who}


def matches(state: IncidentState, filters: Filters) -> bool:
    if filters.show == "open" and not state.phase.is_open:
        return False
    if filters.severity and state.severity != filters.severity:
        return False
    if filters.phase and state.phase != filters.phase:
        return False
    if filters.service and filters.service.lower() not in state.service.lower():
        return False
    if filters.person and filters.person not in people_of(state):
        return False
    if filters.q:
        haystack = " ".join([state.id, state.title, state.service, state.impact or ""]).lower()
        return all(word in haystack for word in filters.q.lower().split())
    return True


def next_deadline(policy: Policy, state: IncidentState, now: datetime) -> planner.Action | None:
    pending = [a for a in planner.candidate_actions(policy, state) if a.key not in state.fired and a.at > now]
    return min(pending, key=lambda a: a.at, default=None)


def describe(action: planner.Action) -> str:
    what = {"page": "page", "repage": "page again", "escalation": "escalate to", "comms_reminder": "status update due",
            "checklist_nag": "checklist reminder", "stakeholder_notice": "tell", "public_notice": "tell",
            "notify_step": "next contact method for"}
    target = action.person if action.kind == "notify_step" else (action.tier.value if action.tier else action.person)
    return f"{what.get(action.kind, action.kind)} {target}" if target else what.get(action.kind, action.kind)


def row(policy: Policy, state: IncidentState, now: datetime) -> Row:
    upcoming = next_deadline(policy, state, now)
    return Row(
        id=state.id, title=state.title, service=state.service, severity=state.severity,
        severity_name=policy.severity(state.severity).name, phase=state.phase, drill=state.drill,
        detected_at=state.detected_at, paged=list(dict.fromkeys(p.target for p in state.pages if p.target)),
        acknowledged_by=state.acknowledged_by, ic=state.roles.ic,
        next_deadline=Deadline(at=upcoming.at, what=describe(upcoming)) if upcoming else None,
    )


def rows(policy: Policy, states: list[IncidentState], filters: Filters, now: datetime) -> list[Row]:
    return [row(policy, s, now) for s in states if matches(s, filters)]
