"""Human decisions: one discriminated union, one validity check, one apply function.

The workflow accepts a `Decision` as an update (validator = `check`, so a rejection writes nothing to
history) and as a signal (an invalid one becomes a `rejected` timeline entry).
"""

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from domain.common.limits import Actor, Text
from domain.incident.phases import Phase
from domain.incident.severity import Role, Severity
from domain.incident.state import IncidentState
from domain.incident.status import StatusUpdate
from domain.runbooks import status as rb


class DecisionRejected(ValueError):
    """A decision that does not apply to the incident as it is now."""


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: Actor


class Acknowledge(_Base):
    kind: Literal["acknowledge"] = "acknowledge"


class AssignRole(_Base):
    kind: Literal["assign_role"] = "assign_role"
    role: Role
    to: Actor


class SetSeverity(_Base):
    kind: Literal["set_severity"] = "set_severity"
    severity: Severity


class AddNote(_Base):
    kind: Literal["add_note"] = "add_note"
    text: Text


class StartMitigation(_Base):
    kind: Literal["start_mitigation"] = "start_mitigation"


class MarkMitigated(_Base):
    kind: Literal["mark_mitigated"] = "mark_mitigated"


class Resolve(_Base):
    kind: Literal["resolve"] = "resolve"
    summary: Text | None = None


class Close(_Base):
    kind: Literal["close"] = "close"


class PublishPostmortem(_Base):
    """Sent by the PostmortemWorkflow when the postmortem is published: closes an incident in `postmortem`."""

    kind: Literal["publish_postmortem"] = "publish_postmortem"


class EscalateNow(_Base):
    kind: Literal["escalate_now"] = "escalate_now"
    reason: Text | None = None


class CheckItem(_Base):
    kind: Literal["check_item"] = "check_item"
    item: str


class PostUpdate(_Base):
    """A communications update; resets the 15-minute reminder."""

    kind: Literal["post_update"] = "post_update"
    status: Literal["investigating", "identified", "monitoring", "resolved"] = "investigating"
    message: Text


StepId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
RunbookName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class ApproveStep(_Base):
    """Let a runbook step that waits for approval proceed."""

    kind: Literal["approve_step"] = "approve_step"
    step: StepId
    runbook: RunbookName | None = Field(default=None, description="Needed only if two running runbooks share a step")


class RejectStep(_Base):
    """Refuse a runbook step: the run aborts, the reason goes into the timeline."""

    kind: Literal["reject_step"] = "reject_step"
    step: StepId
    reason: Text
    runbook: RunbookName | None = None


class RunRunbook(_Base):
    kind: Literal["run_runbook"] = "run_runbook"
    runbook: RunbookName


class CancelRunbook(_Base):
    kind: Literal["cancel_runbook"] = "cancel_runbook"
    runbook: RunbookName
    reason: Text | None = None


Decision = Annotated[
    Acknowledge | AssignRole | SetSeverity | AddNote | StartMitigation | MarkMitigated | Resolve | Close
    | EscalateNow | CheckItem | PostUpdate | ApproveStep | RejectStep | RunRunbook | CancelRunbook
    | PublishPostmortem,
    Field(discriminator="kind"),
]
DECISION_ADAPTER: TypeAdapter[Decision] = TypeAdapter(Decision)
DECISION_KINDS: list[str] = [m.model_fields["kind"].default for m in get_args(get_args(Decision)[0])]
# Decisions only incidentflow itself makes (the postmortem workflow publishing): refused from every outside entry
SYSTEM_ONLY_KINDS = frozenset({"publish_postmortem"})
# What people and senders may send (REST, Slack, CLI; the `decide` update)
OutsideDecision = Annotated[
    Acknowledge | AssignRole | SetSeverity | AddNote | StartMitigation | MarkMitigated | Resolve | Close
    | EscalateNow | CheckItem | PostUpdate | ApproveStep | RejectStep | RunRunbook | CancelRunbook,
    Field(discriminator="kind"),
]


def check_from_outside(decision: Decision) -> None:
    """Raise DecisionRejected for a decision only the system makes."""
    if decision.kind in SYSTEM_ONLY_KINDS:
        raise DecisionRejected(f"{decision.kind} is incidentflow's own decision: publish the postmortem with "
                               "`incident postmortem publish ID --by <you>`")


class DecisionResult(BaseModel):
    accepted: bool
    phase: Phase
    text: str


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
    state.note(now, "note" if decision.kind == "add_note" else "decision", decision.by, text)
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


def advance(state: IncidentState, phase: Phase, now: datetime, by: str) -> None:
    if state.phase.reached(phase):
        return
    stamp = {
        Phase.MITIGATING: "mitigating_at", Phase.MITIGATED: "mitigated_at",
        Phase.RESOLVED: "resolved_at", Phase.CLOSED: "closed_at",
    }.get(phase)
    previous = state.phase
    state.phase = phase
    if stamp and getattr(state, stamp) is None:
        setattr(state, stamp, now)
    state.note(now, "phase", by, f"{previous.value} → {phase.value}")
