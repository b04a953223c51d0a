"""A runbook run's messages: the RunbookWorkflow's input, the decisions it receives, what it tells its incident
and its result; and how the incident folds a run's event into its state. No secrets: all of it is history."""

from typing import Literal

from pydantic import BaseModel, Field

from domain.incident.state import IncidentState
from domain.runbooks.plan import RunbookPlan
from domain.runbooks.status import FINISHED


class RunbookRun(BaseModel):
    """RunbookWorkflow input: the resolved plan and the rules it runs under. No secrets (history)."""

    incident_id: str
    parent_workflow_id: str
    plan: RunbookPlan
    started_by: str
    drill: bool = False
    simulate: dict[str, list[Literal["ok", "fail"]]] = {}
    approval_timeout_seconds: float = 600
    approval_escalations: int = 2


class StepDecision(BaseModel):
    step: str
    approve: bool
    by: str
    reason: str | None = None


class CancelRequest(BaseModel):
    by: str
    reason: str | None = None


EventKind = Literal["started", "step", "waiting", "escalate", "skipped", "rollback", "note", "finished"]


class RunbookEvent(BaseModel):
    """What a run tells its incident (signal `runbook_event`): it becomes a `runbook` timeline entry."""

    workflow_id: str
    runbook: str
    kind: EventKind
    text: str
    step: str | None = None
    ok: bool | None = None
    status: str | None = Field(default=None, description="For `finished`: the run's final status")


class StepRecord(BaseModel):
    id: str
    outcome: Literal["ok", "failed", "skipped", "rejected", "timed_out", "rolled_back", "rollback_failed"]
    detail: str


class RunbookResult(BaseModel):
    runbook: str
    status: str
    text: str
    steps: list[StepRecord] = []
    verified: list[str] = Field(default=[], description="What each passed verification checked")


def apply_event(state: IncidentState, event: RunbookEvent, now) -> bool:
    """Fold a run's event into the incident; True when the incident should escalate one tier."""
    run = next((r for r in state.runbooks if r.workflow_id == event.workflow_id), None)
    if run is not None:
        if event.kind == "waiting" and event.step and (gate := run.gate(event.step)) and gate.state == "pending":
            gate.state = "waiting"
        if event.kind == "step" and event.step and (gate := run.gate(event.step)) and gate.state == "approved":
            gate.state = "done"
        if event.kind == "finished" and event.status and run.status not in FINISHED:
            run.status = event.status  # type: ignore[assignment]
            run.detail = event.text
    state.note(now, "runbook", f"runbook:{event.runbook}", event.text)
    return event.kind == "escalate"
