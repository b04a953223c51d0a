"""The team's incident policy as validated data: severities, roles, comms, checklist, on-call, escalation.

Two YAML documents make one `Policy` (see `policies/`). Everything here is pure; reading the files lives in
`adapters/policy_files.py`.
"""

import re
from datetime import date, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.alerts.policy import AlertHandling
from domain.common.durations import Duration
from domain.incident.phases import Phase
from domain.incident.severity import Role, Severity, Tier
from domain.learning.policy import LearningPolicy
from domain.runbooks.policy import RunbookPolicy

SLUG = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. Asia/Seoul)") from None
    return name


ZoneName = Annotated[str, AfterValidator(_check_zone)]


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


class ChecklistItemSpec(Strict):
    id: str = Field(pattern=SLUG)
    text: str
    group: Literal["first_15_minutes", "team_assembly", "situation"] = "first_15_minutes"
    within: Duration = timedelta(minutes=15)
    done_when: str | None = Field(
        default=None,
        description="Completed automatically: 'declared' or 'role:<role>'; otherwise by a check_item decision",
    )

    @field_validator("done_when")
    @classmethod
    def _known_trigger(cls, value: str | None) -> str | None:
        if value is None or value == "declared":
            return value
        kind, _, arg = value.partition(":")
        if kind == "role" and arg in {r.value for r in Role}:
            return value
        raise ValueError(f"unknown trigger {value!r}: use 'declared' or 'role:<ic|ops|comms|liaison|scribe>'")


class Checklist(Strict):
    nag_at: Duration = timedelta(minutes=15)
    items: list[ChecklistItemSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> "Checklist":
        _require_unique([i.id for i in self.items], "checklist item id")
        return self


def _check_matchers(value: dict[str, str]) -> dict[str, str]:
    for label, pattern in value.items():
        if pattern.startswith("~"):
            try:
                re.compile(pattern[1:])
            except re.error as exc:
                raise ValueError(f"label {label}: bad regex {pattern[1:]!r}: {exc}") from None
    return value


# label -> value; a value starting with "~" is a regex (full match). Used by the alert mapping and runbooks.
LabelMatchers = Annotated[dict[str, str], AfterValidator(_check_matchers)]


class AlertRule(Strict):
    match: LabelMatchers = Field(description="label -> value; a value starting with '~' is a regex")
    severity: Severity


class AlertMapping(Strict):
    rules: list[AlertRule] = []
    severity_label: str = "severity"
    severity_values: dict[str, Severity] = {}
    default: Severity = Severity.SEV3


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

    @model_validator(mode="after")
    def _complete(self) -> "IncidentPolicy":
        missing = [s.value for s in Severity if s not in self.severities]
        if missing:
            raise ValueError(f"severities missing: {', '.join(missing)}")
        missing_roles = [r.value for r in Role if r not in self.roles]
        if missing_roles:
            raise ValueError(f"roles missing: {', '.join(missing_roles)}")
        return self


class Person(Strict):
    name: str
    slack_id: str | None = None
    email: str | None = None
    phone: str | None = None
    pagerduty_routing_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding this person's PagerDuty routing key"
    )

    @property
    def has_contact(self) -> bool:
        return any((self.slack_id, self.email, self.phone, self.pagerduty_routing_key_env))


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Rotation(Strict):
    shift: Duration = timedelta(weeks=1)
    handover_weekday: Weekday = "monday"
    handover_time: time = time(9, 0)
    timezone: ZoneName = "Asia/Seoul"
    anchor: date = Field(description="A date in the week whose handover starts member #0's shift")

    @field_validator("shift")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("shift must be longer than 0")
        return value


class TierRotation(Strict):
    """Per-tier changes to the team rotation; unset fields keep the team's value."""

    shift: Duration | None = None
    handover_weekday: Weekday | None = None
    handover_time: time | None = None
    timezone: ZoneName | None = None
    anchor: date | None = None

    @field_validator("shift")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("shift must be longer than 0")
        return value


class TierSpec(Strict):
    name: str
    description: str = ""
    members: list[str] = Field(default=[], description="In rotation order: member #0 holds the anchor week's shift")
    rotation: TierRotation | None = Field(default=None, description="This tier's own shift/handover, if different")


class EscalationRule(Strict):
    id: str = Field(pattern=SLUG)
    severities: list[Severity]
    after: Duration = Field(description="Time since detection while the incident is unresolved")
    tier: Tier
    note: str = ""


class Escalation(Strict):
    acknowledge_escalates_to_next_tier: bool = True
    rules: list[EscalationRule]

    @model_validator(mode="after")
    def _unique_ids(self) -> "Escalation":
        _require_unique([r.id for r in self.rules], "escalation rule id")
        return self


class OnCallPolicy(Strict):
    rotation: Rotation
    tiers: dict[Tier, TierSpec]
    people: dict[str, Person] = {}
    escalation: Escalation

    @model_validator(mode="after")
    def _members_known(self) -> "OnCallPolicy":
        missing = [t.value for t in Tier if t not in self.tiers]
        if missing:
            raise ValueError(f"tiers missing: {', '.join(missing)}")
        for tier, spec in self.tiers.items():
            unknown = [m for m in spec.members if m not in self.people]
            if unknown:
                raise ValueError(f"tier {tier.value}: members not listed under people: {', '.join(unknown)}")
        return self


class Policy(Strict):
    incident: IncidentPolicy
    oncall: OnCallPolicy

    def severity(self, severity: Severity) -> SeverityLevel:
        return self.incident.severities[severity]

    def person_name(self, handle: str | None) -> str | None:
        if handle is None:
            return None
        person = self.oncall.people.get(handle)
        return person.name if person else handle

    def with_roster(self, roster: dict[Tier, list[str]]) -> "Policy":
        """A copy whose tiers have these members (used by drills); unknown people are added by handle."""
        people = dict(self.oncall.people)
        for members in roster.values():
            for member in members:
                people.setdefault(member, Person(name=member))
        tiers = {
            tier: spec.model_copy(update={"members": roster.get(tier, spec.members)})
            for tier, spec in self.oncall.tiers.items()
        }
        oncall = self.oncall.model_copy(update={"tiers": tiers, "people": people})
        return self.model_copy(update={"oncall": oncall})


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


def location_part(part: object) -> str:
    """A key as written, quoted when it would be invisible or ambiguous in a `file: path: reason` line."""
    text = str(part)
    return text if text and text.isprintable() and text == text.strip() and ":" not in text else repr(text)


def describe_errors(source: str, error: ValidationError, prefix: str = "") -> list[str]:
    """`file: path.to.field: reason` lines, one per problem."""
    lines = []
    for item in error.errors():
        path = ".".join(location_part(p) for p in (prefix, *item["loc"]) if p != "")
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {path or '(top)'}: {message}")
    return lines
