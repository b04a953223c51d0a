"""A drill's scorecard: what the drill measured, in scenario time, and how each expectation came out. This is
the shape `incident drill run --json` prints and the DrillWorkflow returns."""

from typing import Literal

from pydantic import BaseModel, Field

from domain.drills.scenario import StepResult
from domain.incident.phases import Phase
from domain.incident.severity import Role, Severity, Tier


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
    ack_seconds: float = Field(description="The severity's response time (0: immediately)")
    mttr_seconds: float | None = None
    ack_scored_against_seconds: float | None = Field(
        default=None, description="What the acknowledgement is scored against: the response time, or for an "
                                  "immediate one (0) the policy's drills.immediate_ack_within")
    ack_met: bool | None = Field(default=None, description="Acknowledged within ack_scored_against_seconds "
                                                           "(False: later, or never)")

    @property
    def immediate(self) -> bool:
        return self.ack_seconds == 0

    @property
    def ack_limit_seconds(self) -> float:
        """The limit an acknowledgement is judged by (scorecards from before the field: the response time)."""
        return self.ack_seconds if self.ack_scored_against_seconds is None else self.ack_scored_against_seconds


class ScoredParticipant(BaseModel):
    """A person who acted in the drill incident or held one of its roles (not incidentflow, the alert source
    or, when the scenario's decisions were played, the names the scenario gives)."""

    person: str
    roles: list[Role] = Field(default=[], description="Every role they held, in the order they took them")
    role_since_seconds: dict[Role, float] = Field(default={}, description="When they first took each role")
    decisions: int = Field(description="Decisions and notes they made (accepted ones)")
    first_action_at_seconds: float | None = Field(description="Their first decision or note; None: they only "
                                                              "held a role someone gave them")
    acknowledged_at_seconds: float | None = None
    checklist_done: list[str] = Field(default=[], description="Checklist items they completed")
    checklist_late: list[str] = Field(default=[], description="Of those, the ones done after their deadline")
    evaluation: str = Field(default="", description="성과 평가: a factual summary from this scorecard")


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
    participants: list[ScoredParticipant] = Field(
        default=[], description="The people who took part, with their roles and evaluation (docs/drills.md)")
    simulated_steps: dict[str, list[StepResult]] = {}
    wall_seconds: float | None = Field(default=None, description="Real time the drill took (filled by the runner)")
