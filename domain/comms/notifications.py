"""Channel-neutral messages that activities route to adapters (console, Slack, PagerDuty, status page)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.incident.severity import Severity, Tier
from domain.incident.status import RoomRef
from domain.policy.oncall_policy import OnCallPolicy

NotificationKind = Literal[
    "declared", "page", "escalation", "decision", "phase", "comms_reminder", "checklist_nag", "alert",
    "runbook", "postmortem", "handover", "report", "status_update", "stakeholder",
]


class StepApproval(BaseModel):
    """A runbook step waiting for a human: channels that can (Slack) offer Approve / Reject buttons."""

    runbook: str
    step: str


class Notification(BaseModel):
    key: str = Field(description="Idempotency key: the same key is delivered once")
    incident_id: str | None = None
    kind: NotificationKind
    severity: Severity | None = None
    to: list[str] = Field(default=[], description="People (policy handles); empty means the incident channel")
    title: str = ""
    text: str
    drill: bool = False
    room: RoomRef | None = Field(default=None, description="The incident's chat room, once it is open")
    approval: StepApproval | None = Field(default=None, description="kind `runbook`: the step that waits")


class PageRequest(BaseModel):
    key: str = Field(description="Idempotency key for this incident, run and tier")
    incident_id: str
    title: str
    service: str
    severity: Severity
    tier: Tier
    person: str | None = Field(default=None, description="Page this person (a policy handle) instead of the "
                                                         "tier's holder: the responder of an incident paged again")
    reason: str
    via: list[str] | None = Field(default=None, description="Page through these channels only (a step of the "
                                                            "person's notification rules); None: every channel")
    rule_step: int | None = Field(default=None, description="When `via` is None: page through this step of the "
                                                            "paged person's notification rules (none: every channel)")
    drill: bool = False
    at: datetime = Field(description="Page time (workflow time): the rotation is read at this moment")
    oncall: OnCallPolicy = Field(description="The incident's policy snapshot of the rotation")


class PageOutcome(BaseModel):
    target: str | None = Field(description="Who was paged; None when nobody holds the tier (a gap)")
    at: datetime
    channels: list[str] = []
    refused: list[str] = Field(default=[], description="Channels that refused it for good (a 4xx), and why; with "
                                                       "`via`, also the ones named but not configured or unable to "
                                                       "reach the person")


class DeliveryReport(BaseModel):
    """What a message or view delivery could not do: channels that refused it for good (a 4xx), and why. The
    workflow writes each into the timeline; an activity whose channels are only down is retried instead."""

    refused: list[str] = []
