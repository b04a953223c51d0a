"""The rules of every decision: `check` says whether it applies to the incident as it is now (with a reason a
person understands), `apply` changes the state and records it in the timeline. Pure."""

from datetime import datetime

from domain.common.limits import ACTOR_MAX, clip
from domain.incident.decisions import (
    Acknowledge,
    AddNote,
    ApproveStep,
    AssignRole,
    CancelRunbook,
    CheckItem,
    Close,
    Decision,
    DecisionRejected,
    DecisionResult,
    EscalateNow,
    MarkMitigated,
    PostUpdate,
    PublishPostmortem,
    RejectStep,
    Resolve,
    RunRunbook,
    SetSeverity,
    StartMitigation,
)
from domain.incident.phase_changes import advance
from domain.incident.phases import Phase
from domain.incident.state import IncidentState
from domain.incident.status import StatusUpdate
from domain.runbooks import status as rb


def check(state: IncidentState, decision: Decision) -> None:
    """Raise DecisionRejected with a reason a person understands; return None when it applies."""
    phase = state.phase
    if phase == Phase.CLOSED:
        raise DecisionRejected(f"incident {state.id} is closed")
    open_only = {"acknowledge", "set_severity", "start_mitigation", "mark_mitigated", "resolve", "escalate_now"}
    if decision.kind in open_only and not phase.is_open:
        raise DecisionRejected(f"incident {state.id} is already {phase.value}; {decision.kind} no longer applies")
    match decision:
        case Acknowledge():
            if state.acknowledged_by:
                raise DecisionRejected(f"already acknowledged by {state.acknowledged_by}")
        case AssignRole(role=role, to=to):
            if state.roles.get(role) == to:
                raise DecisionRejected(f"{to} already holds {role.value}")
        case SetSeverity(severity=severity):
            if severity == state.severity:
                raise DecisionRejected(f"severity is already {severity.value}")
        case StartMitigation():
            if phase.reached(Phase.MITIGATING):
                raise DecisionRejected(f"incident is already {phase.value}")
        case MarkMitigated():
            if phase.reached(Phase.MITIGATED):
                raise DecisionRejected(f"incident is already {phase.value}")
        case Close():
            if phase.is_open:
                raise DecisionRejected(f"incident is {phase.value}: resolve it before closing")
            if phase == Phase.POSTMORTEM:
                raise DecisionRejected(f"a postmortem is due: `incident postmortem publish {state.id} --by <you>` "
                                       "publishes it and closes the incident")
        case PublishPostmortem():
            if phase != Phase.POSTMORTEM:
                raise DecisionRejected(f"incident {state.id} is {phase.value}, not waiting for a postmortem")
        case EscalateNow():
            top = state.highest_paged_tier()
            if top is not None and top.next_up() is None:
                raise DecisionRejected("every tier up to executive has been paged already")
        case CheckItem(item=item):
            entry = next((c for c in state.checklist if c.item == item), None)
            if entry is None:
                known = ", ".join(c.item for c in state.checklist)
                raise DecisionRejected(f"no checklist item {item!r} (items: {known})")
            if entry.done:
                raise DecisionRejected(f"checklist item {item!r} was done by {entry.by}")
        case ApproveStep() | RejectStep() | RunRunbook() | CancelRunbook():
            _check_runbook(state, decision)
        case _:
            pass


def apply(state: IncidentState, decision: Decision, now: datetime) -> DecisionResult:
    """Change the state for a decision that passed `check`, and record it in the timeline."""
    match decision:
        case Acknowledge(by=by):
            state.acknowledged_by, state.acknowledged_at = by, now
            advance(state, Phase.TRIAGED, now, by)
            text = f"{by} acknowledged"
        case AssignRole(role=role, to=to, by=by):
            setattr(state.roles, role.value, to)
            complete_checklist(state, f"role:{role.value}", now, by)
            text = f"{to} is now {role.value}" + (f" (assigned by {by})" if by != to else "")
        case SetSeverity(severity=severity, by=by):
            text = f"severity {state.severity.value} → {severity.value} by {by}"
            state.severity = severity
        case AddNote(text=note, by=by):
            text = note
        case StartMitigation(by=by):
            advance(state, Phase.MITIGATING, now, by)
            text = f"{by} started mitigation"
        case MarkMitigated(by=by):
            advance(state, Phase.MITIGATED, now, by)
            text = f"{by} marked the incident mitigated"
        case Resolve(by=by, summary=summary):
            state.summary = summary or state.summary
            advance(state, Phase.RESOLVED, now, by)
            text = f"{by} resolved the incident" + (f": {summary}" if summary else "")
        case Close(by=by):
            advance(state, Phase.CLOSED, now, by)
            text = f"{by} closed the incident"
        case PublishPostmortem(by=by):
            advance(state, Phase.CLOSED, now, by)
            text = f"{by} published the postmortem; incident closed"
        case EscalateNow(by=by, reason=reason):
            state.manual_escalations.append(now)
            text = f"{by} escalated manually" + (f": {reason}" if reason else "")
        case CheckItem(item=item, by=by):
            entry = next(c for c in state.checklist if c.item == item)
            entry.done, entry.by, entry.at = True, by, now
            text = f"checklist: {entry.text} ✓"
        case PostUpdate(status=status, message=message, by=by):
            state.last_comms_update_at = now
            state.status_updates.append(StatusUpdate(status=status, message=message, by=by, at=now))
            text = f"update ({status}): {message}"
        case ApproveStep() | RejectStep() | RunRunbook() | CancelRunbook():
            text = _apply_runbook(state, decision)
    state.note(now, "note" if decision.kind == "add_note" else "decision", clip(decision.actor, ACTOR_MAX), text)
    return DecisionResult(accepted=True, phase=state.phase, text=text)


def _check_runbook(state: IncidentState, decision: Decision) -> None:
    if decision.kind in ("run_runbook",) and not state.phase.is_open:
        raise DecisionRejected(f"incident {state.id} is already {state.phase.value}; no new runbooks")
    try:
        match decision:
            case ApproveStep(step=step, runbook=runbook) | RejectStep(step=step, runbook=runbook):
                rb.find_gate(state.runbooks, step, runbook)
            case RunRunbook(runbook=runbook):
                rb.check_run(state.runbooks, runbook)
            case CancelRunbook(runbook=runbook):
                rb.check_cancel(state.runbooks, runbook)
    except rb.RunbookDecisionRejected as exc:
        raise DecisionRejected(str(exc)) from None


def _apply_runbook(state: IncidentState, decision: Decision) -> str:
    """Record the decision; the workflow forwards it to the runbook run (or starts one)."""
    match decision:
        case ApproveStep(step=step, runbook=runbook, by=by):
            run, gate = rb.find_gate(state.runbooks, step, runbook)
            gate.state, gate.by = "approved", by
            return f"{by} approved step {step} of runbook {run.runbook}"
        case RejectStep(step=step, runbook=runbook, by=by, reason=reason):
            run, gate = rb.find_gate(state.runbooks, step, runbook)
            gate.state, gate.by = "rejected", by
            return f"{by} rejected step {step} of runbook {run.runbook}: {reason}"
        case RunRunbook(runbook=runbook, by=by):
            return f"{by} asked to run runbook {runbook}"
        case CancelRunbook(runbook=runbook, by=by, reason=reason):
            return f"{by} cancelled runbook {runbook}" + (f": {reason}" if reason else "")
    raise AssertionError(decision.kind)


def complete_checklist(state: IncidentState, trigger: str, now: datetime, by: str) -> None:
    """Mark items done whose automatic trigger (`declared`, `role:ic`, …) just happened."""
    for entry in state.checklist:
        if not entry.done and entry.done_when == trigger:
            entry.done, entry.by, entry.at = True, by, now

