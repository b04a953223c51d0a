"""A drill's scorecard: what the drill measured, in scenario time, and how each expectation came out. This is
the shape `incident drill run --json` prints and the DrillWorkflow returns."""

from typing import Literal

from pydantic import BaseModel, Field

from domain.drills.scenario import StepResult
from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier


class ScoredPage(BaseModel):
    tier: Tier
    target: str | None
    at_seconds: float
    reason: str


class ScoredNotification(BaseModel):
    to: str
    why: str
    at_seconds: float


class ScoredEscalation(BaseModel):
    rule: str
    tier: Tier
    paged: bool
    at_seconds: float


class ScoredPhase(BaseModel):
    phase: Phase
    at_seconds: float


class ScoredChecklistItem(BaseModel):
    item: str
    text: str
    done_at_seconds: float | None
    due_seconds: float
    by: str | None
    late: bool


class ScoredTimelineEntry(BaseModel):
    at_seconds: float
    kind: str
    actor: str
    text: str


class ScoredRunbook(BaseModel):
    runbook: str
    status: str
    started_by: str | None
    at_seconds: float
    detail: str | None = None


class ExpectationResult(BaseModel):
    what: str
    expected: str
    actual: str
    passed: bool


class Targets(BaseModel):
    ack_seconds: float = Field(description="The severity's response time")
    mttr_seconds: float | None = None


class Scorecard(BaseModel):
    name: str
    description: str = ""
    passed: bool
    incident_id: str
    mode: Literal["instant", "live"] = "instant"
    speed: float = 1
    severity: Severity
    final_phase: Phase
    duration_seconds: float
    pages: list[ScoredPage]
    notifications: list[ScoredNotification] = Field(
        default=[], description="Stakeholders told at once (the severity's `stakeholders`), beside the pages")
    escalations: list[ScoredEscalation]
    phases: list[ScoredPhase]
    mtta_seconds: float | None
    mttm_seconds: float | None
    mttr_seconds: float | None
    targets: Targets
    checklist: list[ScoredChecklistItem]
    timeline: list[ScoredTimelineEntry]
    expectations: list[ExpectationResult]
    rejected: list[str] = Field(default=[], description="Scripted decisions the incident refused, with the reason")
    runbooks: list[ScoredRunbook] = Field(default=[], description="Runbook runs and how they ended")
    simulated_steps: dict[str, list[StepResult]] = {}
    wall_seconds: float | None = Field(default=None, description="Real time the drill took (filled by the runner)")
