"""What an incident remembers about its runbook runs (kept in `IncidentState.runbooks`).

Separate from `domain/runbooks/schema.py` so that the incident record does not import the whole runbook schema.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

RunStatus = Literal["offered", "running", "succeeded", "failed", "rolled_back", "aborted", "cancelled", "refused"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "rolled_back", "aborted", "cancelled", "refused"})


class GatedStep(BaseModel):
    """A step that waits for a human: `pending` until approved, rejected or no longer reachable."""

    id: str
    state: Literal["pending", "waiting", "approved", "rejected", "done"] = "pending"
    by: str | None = None


class RunbookRunInfo(BaseModel):
    runbook: str
    workflow_id: str | None = None
    status: RunStatus
    started_by: str | None = None
    at: datetime
    gates: list[GatedStep] = []
    detail: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "running"

    def gate(self, step: str) -> GatedStep | None:
        return next((g for g in self.gates if g.id == step), None)


class StepSimulation(BaseModel):
    """Drill-only outcomes of side effects: `{step-id: [fail, ok]}` in order of attempts; `<step>.verify` and
    `<step>.rollback` script a step's verification and rollback. Ignored outside drills."""

    steps: dict[str, list[Literal["ok", "fail"]]] = {}


class RunbookDecisionRejected(ValueError):
    """Raised by the checks below; `domain.incident.decisions` turns it into DecisionRejected."""


def _active(runs: list[RunbookRunInfo], runbook: str | None) -> list[RunbookRunInfo]:
    return [r for r in runs if r.active and (runbook is None or r.runbook == runbook)]


def find_gate(runs: list[RunbookRunInfo], step: str, runbook: str | None) -> tuple[RunbookRunInfo, GatedStep]:
    """The running run whose approval gate `step` is still open, or RunbookDecisionRejected saying why not."""
    found = [(r, r.gate(step)) for r in _active(runs, runbook)]
    open_gates = [(r, g) for r, g in found if g is not None and g.state in ("pending", "waiting")]
    if len(open_gates) == 1:
        return open_gates[0]
    if len(open_gates) > 1:
        names = ", ".join(r.runbook for r, _ in open_gates)
        raise RunbookDecisionRejected(f"step {step!r} is in several running runbooks ({names}); name the runbook")
    decided = [(r, g) for r, g in found if g is not None]
    if decided:
        run, gate = decided[0]
        raise RunbookDecisionRejected(f"step {step!r} of {run.runbook} is already {gate.state}"
                                      + (f" by {gate.by}" if gate.by else ""))
    ended = [(r, g) for r in runs if not r.active and (runbook is None or r.runbook == runbook)
             and (g := r.gate(step)) is not None]
    if ended:
        run, gate = ended[-1]
        raise RunbookDecisionRejected(f"runbook {run.runbook} already ended ({run.status}); step {step!r} was "
                                      + (f"{gate.state} by {gate.by}" if gate.by else "never approved"))
    waiting = [f"{r.runbook}/{g.id}" for r in _active(runs, None) for g in r.gates if g.state in ("pending", "waiting")]
    hint = f" (open approvals: {', '.join(waiting)})" if waiting else " (no runbook is waiting for approval)"
    raise RunbookDecisionRejected(f"no running runbook has step {step!r} awaiting approval{hint}")


def check_run(runs: list[RunbookRunInfo], runbook: str) -> None:
    if _active(runs, runbook):
        raise RunbookDecisionRejected(f"runbook {runbook} is already running")


def check_cancel(runs: list[RunbookRunInfo], runbook: str) -> RunbookRunInfo:
    active = _active(runs, runbook)
    if not active:
        raise RunbookDecisionRejected(f"runbook {runbook} is not running")
    return active[-1]
