"""What the incident page shows, from the incident's state (pure: the policy, runbook catalog and overrides come
in): the header with the next escalation and who it will page, the checklist in its groups, runbook runs with
their steps, the status-update composer's starting text, and which controls the person may use."""

from datetime import datetime

from pydantic import BaseModel

from domain.comms import messages
from domain.identity.principal import Principal, refusal
from domain.identity.roles import Role
from domain.incident import planner
from domain.incident.phases import Phase
from domain.incident.severity import Role as IncidentRole
from domain.incident.severity import Severity
from domain.incident.state import ChecklistEntry, IncidentState
from domain.oncall.rotation import Override, holder
from domain.policy.model import Policy
from domain.runbooks.catalog import RunbookSet
from domain.runbooks.status import RunbookRunInfo
from gateway.console.listing import describe, next_deadline

CHECKLIST_GROUPS = {"first_15_minutes": "First 15 minutes", "team_assembly": "Team assembly",
                    "situation": "Situation"}
ESCALATING = ("page", "repage", "escalation")
STATUSES = ("investigating", "identified", "monitoring", "resolved")


class NextEscalation(BaseModel):
    at: datetime
    what: str
    pages: str | None  # who it will page, as the rotation and overrides stand now


class StepRow(BaseModel):
    id: str
    kind: str
    description: str
    needs_approval: bool
    gate: str | None  # pending, waiting, approved, rejected, done (approval steps only)
    gate_by: str | None = None


class RunView(BaseModel):
    run: RunbookRunInfo
    steps: list[StepRow]


def next_escalation(policy: Policy, state: IncidentState, now: datetime,
                    overrides: list[Override]) -> NextEscalation | None:
    pending = [a for a in planner.candidate_actions(policy, state)
               if a.key not in state.fired and a.at > now and a.kind in ESCALATING]
    action = min(pending, key=lambda a: a.at, default=None)
    if action is None:
        return None
    who = action.person or (holder(policy.oncall, action.tier, action.at, overrides) if action.tier else None)
    return NextEscalation(at=action.at, what=describe(action) + (f" ({action.rule})" if action.rule else ""),
                          pages=who)


def checklist_groups(state: IncidentState) -> list[tuple[str, list[ChecklistEntry]]]:
    groups = [(label, [c for c in state.checklist if c.group == key]) for key, label in CHECKLIST_GROUPS.items()]
    return [(label, items) for label, items in groups if items]


def runs(state: IncidentState, catalog: RunbookSet | None) -> list[RunView]:
    views = []
    for run in reversed(state.runbooks):
        runbook = catalog.get(run.runbook) if catalog else None
        gates = {g.id: g for g in run.gates}
        steps = [StepRow(id=s.id, kind=s.kind, description=s.description, needs_approval=s.needs_approval,
                         gate=gates[s.id].state if s.id in gates else None,
                         gate_by=gates[s.id].by if s.id in gates else None)
                 for s in (runbook.steps if runbook else [])]
        if not steps:  # a runbook this gateway does not have: its approval steps at least
            steps = [StepRow(id=g.id, kind="approval", description="", needs_approval=True, gate=g.state,
                             gate_by=g.by) for g in run.gates]
        views.append(RunView(run=run, steps=steps))
    return views


def available(state: IncidentState) -> list[str]:
    """The decisions that make sense for the incident as it is now (the incident's rules have the last word)."""
    if state.phase == Phase.CLOSED:
        return []
    kinds = ["add_note", "post_update", "assign_role"]
    if state.phase.is_open:
        kinds += ["set_severity", "escalate_now", "resolve"]
        if state.acknowledged_by is None:
            kinds.append("acknowledge")
        if not state.phase.reached(Phase.MITIGATING):
            kinds.append("start_mitigation")
        if not state.phase.reached(Phase.MITIGATED):
            kinds.append("mark_mitigated")
    elif state.phase == Phase.RESOLVED:  # in postmortem, publishing the postmortem closes it
        kinds.append("close")
    if any(not c.done for c in state.checklist):
        kinds.append("check_item")
    if any(g.state == "waiting" for r in state.runbooks if r.active for g in r.gates):
        kinds += ["approve_step", "reject_step"]
    if any(r.status == "offered" for r in state.runbooks):
        kinds.append("run_runbook")
    return kinds


def controls(principal: Principal, state: IncidentState) -> dict[str, str | None]:
    """Each decision that makes sense now, with why this person may not take it (None: they may)."""
    return {kind: refusal(principal, kind, state) for kind in available(state)}


def composer_text(policy: Policy, state: IncidentState, start_from: str) -> str:
    if start_from == "external":
        status = "resolved" if not state.phase.is_open else "investigating"
        return messages.external_update(policy, state, state.summary or state.title, status, None)
    return messages.internal_update(policy, state)


def context(policy: Policy, state: IncidentState, principal: Principal, now: datetime, overrides: list[Override],
            catalog: RunbookSet | None, start_from: str = "internal") -> dict:
    level = policy.severity(state.severity)
    upcoming = next_deadline(policy, state, now)
    return {
        "state": state, "now": now, "severity_name": level.name, "impact": state.impact or level.impact,
        "next_escalation": next_escalation(policy, state, now, overrides),
        "next_deadline": describe(upcoming) if upcoming else None,
        "next_deadline_at": upcoming.at if upcoming else None,
        "checklist": checklist_groups(state), "runs": runs(state, catalog),
        "timeline": list(reversed(state.timeline)), "alerts": list(state.alerts.values()),
        "controls": controls(principal, state), "viewer": not principal.role_in(state).covers(Role.RESPONDER),
        "role_in_incident": principal.role_in(state).value,
        "roles": [(r.value, policy.incident.roles[r].name) for r in IncidentRole],
        "severities": [(s.value, policy.severity(s).name) for s in Severity],
        "statuses": STATUSES, "people": sorted(policy.oncall.people),
        "composer": composer_text(policy, state, start_from), "start_from": start_from,
        "external_preview": messages.external_update(policy, state, "(your message)", "investigating", None),
        "postmortem_url": postmortem_url(policy, state),
    }


def postmortem_url(policy: Policy, state: IncidentState) -> str | None:
    """The postmortem page, once the incident has one: drafted at resolution when its severity requires one."""
    drafted = state.phase.value == "postmortem" or (
        state.phase.value == "closed" and state.resolved_at is not None and not state.drill
        and policy.severity(state.severity).postmortem_required)
    return f"/incidents/{state.id}/postmortem" if drafted else None
