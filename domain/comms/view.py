"""What the incident's channels show right now — the Slack header, the status page, the pager's open
alerts — as one channel-neutral view computed from the state. The workflow publishes a new view whenever
it changes; channels never read workflow internals."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.comms import messages
from domain.incident import planner
from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from domain.incident.state import IncidentState
from domain.incident.status import (
    ComponentStatus,
    PublicStatus,
    RoomRef,
    StatusUpdate,
    component_status,
    later_status,
    status_for_phase,
)
from domain.oncall.rotation import holder
from domain.policy.model import Policy

ButtonAction = Literal["acknowledge", "ic", "mitigated", "resolve"]

AUTOMATIC_MESSAGES: dict[str, str] = {
    "investigating": "We are investigating a problem affecting {service}.",
    "identified": "The cause has been identified and a fix is being applied.",
    "monitoring": "A fix has been applied; we are monitoring the results.",
    "resolved": "This incident has been resolved.",
}


class IncidentView(BaseModel):
    incident_id: str
    title: str
    service: str
    severity: Severity
    severity_name: str
    phase: Phase
    drill: bool = False
    public: bool = False
    declaration: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    roles: dict[str, str] = {}
    paged: list[str] = []
    paged_people: list[str] = Field(default=[], description="Handles of everyone paged (invited into the room)")
    next_deadline: datetime | None = None
    next_deadline_what: str | None = None
    started_at: datetime
    resolved_at: datetime | None = None
    public_status: PublicStatus
    component: str | None = None
    component_status: ComponentStatus
    updates: list[StatusUpdate] = []
    external_update: str | None = Field(default=None, description="The latest update through the policy's "
                                                                  "`external_update` template: what status pages post")
    next_update_by: datetime | None = None
    actions: list[ButtonAction] = []
    room: RoomRef | None = None


class RoomRequest(BaseModel):
    """Open the incident's room (Slack: create the channel, invite people, post the header)."""

    view: IncidentView
    invite: list[str] = []
    invite_groups: list[str] = Field(default=[], description="Slack user group handles whose members are invited "
                                                             "too (the policy's communication.declaration_invite)")


def build_view(policy: Policy, state: IncidentState, now: datetime) -> IncidentView:
    level = policy.severity(state.severity)
    updates = _updates(state)
    public_status = status_for_phase(state.phase)
    for update in updates:
        public_status = later_status(public_status, update.status)
    pending = [a for a in planner.candidate_actions(policy, state) if a.key not in state.fired and a.at > now]
    upcoming = min(pending, key=lambda a: a.at, default=None)
    interval = policy.incident.communication.internal_update_every
    component = state.service if state.service in policy.incident.status_components else None
    next_update_by = None if public_status == "resolved" else (state.last_comms_update_at or state.detected_at) \
        + interval
    external = messages.external_update(policy, state, updates[-1].message, public_status, next_update_by) \
        if updates else None
    return IncidentView(
        incident_id=state.id, title=state.title, service=state.service, severity=state.severity,
        severity_name=level.name, phase=state.phase, drill=state.drill, public=level.status_page and not state.drill,
        declaration=messages.declaration(policy, state), acknowledged_by=state.acknowledged_by,
        acknowledged_at=state.acknowledged_at,
        roles={role: who for role, who in state.roles.model_dump().items() if who},
        paged=[f"{p.tier.value}: {p.target}" for p in state.pages if p.target],
        paged_people=list(dict.fromkeys(p.target for p in state.pages if p.target)),
        next_deadline=upcoming.at if upcoming else None, next_deadline_what=upcoming.reason if upcoming else None,
        started_at=state.started_at, resolved_at=state.resolved_at,
        public_status=public_status, component=component,
        component_status=component_status(state.severity, public_status), updates=updates,
        external_update=external, next_update_by=next_update_by,
        actions=_actions(state), room=state.room,
    )


def responders(policy: Policy, state: IncidentState, now: datetime) -> list[str]:
    """People to invite into the room at declaration: the declarer, the primary and secondary on call, roles."""
    handles = [state.declared_by, holder(policy.oncall, Tier.PRIMARY, now), holder(policy.oncall, Tier.SECONDARY, now)]
    handles += [who for who in state.roles.model_dump().values() if who]
    seen: list[str] = []
    for handle in handles:
        if handle and handle in policy.oncall.people and handle not in seen:
            seen.append(handle)
    return seen


def _actions(state: IncidentState) -> list[ButtonAction]:
    if not state.phase.is_open:
        return []
    actions: list[ButtonAction] = []
    if state.acknowledged_by is None:
        actions.append("acknowledge")
    actions.append("ic")
    if not state.phase.reached(Phase.MITIGATED):
        actions.append("mitigated")
    actions.append("resolve")
    return actions


def _updates(state: IncidentState) -> list[StatusUpdate]:
    """Automatic updates at each phase change, merged with the ones people posted, oldest first."""
    automatic = [
        (state.detected_at, "investigating"), (state.mitigating_at, "identified"),
        (state.mitigated_at, "monitoring"), (state.resolved_at, "resolved"),
    ]
    posted = {u.status for u in state.status_updates}
    updates = [
        StatusUpdate(status=status, message=AUTOMATIC_MESSAGES[status].format(service=state.service),
                     by="incidentflow", at=at, automatic=True)
        for at, status in automatic if at is not None and status not in posted
    ]
    return sorted(updates + list(state.status_updates), key=lambda u: u.at)
