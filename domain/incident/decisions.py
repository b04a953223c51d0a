"""Human decisions as one discriminated union (`Decision`): what people and senders may ask an incident to do.

The workflow accepts a `Decision` as an update (validator = `check` in `decision_rules.py`, so a rejection
writes nothing to history) and as a signal (an invalid one becomes a `rejected` timeline entry).
"""

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter
from pydantic.json_schema import SkipJsonSchema

from domain.common.limits import Actor, Text
from domain.common.models import Strict
from domain.incident.phases import Phase
from domain.incident.severity import Role, Severity


class DecisionRejected(ValueError):
    """A decision that does not apply to the incident as it is now."""


class _Base(Strict):
    by: Actor
    # The admin or service token that sent it for `by` (docs/security.md): the timeline shows "via on behalf of
    # by", while `by` stays the person (acknowledged_by, re-pages, on-call reports). Set by service/, never taken
    # from a sender, so it is left out of the published schemas.
    via: SkipJsonSchema[Actor | None] = None

    @property
    def actor(self) -> str:
        """Who the timeline and the audit log name: "api-token on behalf of minsu", or just `by`."""
        return f"{self.via} on behalf of {self.by}" if self.via else self.by


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
    role_name: str | None = Field(default=None, description="assign_role: the role's name in the policy")
    duties: list[str] = Field(default=[], description="assign_role: the role's responsibilities from the policy, "
                                                      "shown to the person given it")
