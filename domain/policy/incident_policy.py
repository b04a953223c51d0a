"""The incident-management policy document (`policies/incident-management-policy.yaml`): severities, roles,
communication, the checklist, and the alert, runbook and learning sections (JSON Schema: `policies/schema/`)."""

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from domain.alerts.policy import AlertHandling, AlertMapping
from domain.common.durations import Duration
from domain.common.models import Strict
from domain.drills.policy import DrillScoring
from domain.incident.phases import Phase
from domain.incident.severity import Role, Severity
from domain.learning.policy import LearningPolicy
from domain.policy.fields import SLUG, SlackGroupHandle, ZoneName, require_unique
from domain.runbooks.policy import RunbookPolicy


class MetricTargets(Strict):
    mttd: Duration | None = None
    mtta: Duration | None = None
    mttr: Duration | None = None


class SeverityLevel(Strict):
    name: str
    impact: str
    examples: list[str] = []
    response_time: Duration = Field(description="Acknowledge deadline; 0m means immediately")
    status_page: bool = Field(description="Whether the external status page is used")
    postmortem_required: bool = True
    targets: MetricTargets = MetricTargets()
    stakeholders: list[str] = Field(
        default=[], description="People (keys of the on-call policy's `people`) notified at once when an incident "
                                "has this severity — told, not paged: the escalation rules still page the tiers")


class RoleSpec(Strict):
    name: str
    responsibilities: list[str] = []


class Templates(Strict):
    declaration: str
    internal_update: str
    external_update: str


class Communication(Strict):
    internal_update_every: Duration = timedelta(minutes=15)
    templates: Templates
    public_incident_contacts: list[str] = Field(
        default=[], description="People (keys of the on-call policy's `people`) told at once when an incident is "
                                "public (its severity uses the status page): customer support hears it from us")
    declaration_invite: list[SlackGroupHandle] = Field(
        default=[], description="Slack user groups whose members are invited into every new incident channel "
                                "(seed 000: /invite @game-sre-oncall @game-ops-lead @game-dev-lead), without the @")


class ChecklistItemSpec(Strict):
    id: str = Field(pattern=SLUG)
    text: str
    group: Literal["first_15_minutes", "team_assembly", "situation"] = "first_15_minutes"
    within: Duration = timedelta(minutes=15)
    done_when: str | None = Field(
        default=None,
        description="Completed automatically: 'declared', 'role:<role>' or 'notified' (the severity's stakeholders "
                    "were told); otherwise by a check_item decision",
    )

    @field_validator("done_when")
    @classmethod
    def _known_trigger(cls, value: str | None) -> str | None:
        if value is None or value in ("declared", "notified"):
            return value
        kind, _, arg = value.partition(":")
        if kind == "role" and arg in {r.value for r in Role}:
            return value
        raise ValueError(f"unknown trigger {value!r}: use 'declared', 'notified' or "
                         "'role:<ic|ops|comms|liaison|scribe>'")


class Checklist(Strict):
    nag_at: Duration = Field(default=timedelta(minutes=15), description="When the IC is reminded of the open items "
                                                                       "due by then (`within` ≤ nag_at)")
    items: list[ChecklistItemSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> "Checklist":
        require_unique([i.id for i in self.items], "checklist item id")
        return self


class IncidentPolicy(Strict):
    version: int = 1
    timezone: ZoneName = "Asia/Seoul"
    severities: dict[Severity, SeverityLevel]
    roles: dict[Role, RoleSpec]
    communication: Communication
    checklist: Checklist
    alert_mapping: AlertMapping = AlertMapping()
    alerts: AlertHandling = AlertHandling()
    escalation_stops_at: Phase = Field(
        default=Phase.RESOLVED, description="Unresolved-time escalation rules stop once the incident reaches this phase"
    )
    status_components: list[str] = []
    runbooks: RunbookPolicy = Field(
        default=RunbookPolicy(), description="Remediation runbooks: auto-start and approval timeouts (docs/runbooks.md)"
    )
    learning: LearningPolicy = Field(
        default=LearningPolicy(), description="Postmortems, action items, review targets (see docs/learning-loop.md)"
    )
    drills: DrillScoring = Field(
        default=DrillScoring(), description="How drills score an immediate response (docs/drills.md)"
    )

    @model_validator(mode="after")
    def _complete(self) -> "IncidentPolicy":
        missing = [s.value for s in Severity if s not in self.severities]
        if missing:
            raise ValueError(f"severities missing: {', '.join(missing)}")
        missing_roles = [r.value for r in Role if r not in self.roles]
        if missing_roles:
            raise ValueError(f"roles missing: {', '.join(missing_roles)}")
        return self
