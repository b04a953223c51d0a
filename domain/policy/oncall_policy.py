"""The on-call and escalation policy document (`policies/oncall-escalation-policy.yaml`): people, tiers and
their rotation, and the escalation rules (docs/oncall.md)."""

from datetime import date, time, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from domain.common.durations import Duration
from domain.common.models import Strict
from domain.identity.roles import Role
from domain.incident.severity import Severity, Tier
from domain.policy.fields import SLUG, ZoneName, require_unique


class Person(Strict):
    name: str
    slack_id: str | None = None
    email: str | None = None
    oidc_sub: str | None = Field(default=None, description="The `sub` of this person's OpenID Connect account, when "
                                                          "the provider's `email` claim is not theirs to log in with")
    phone: str | None = None
    pagerduty_routing_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding this person's PagerDuty routing key"
    )
    role: Role | None = Field(default=None, description="What this person may do (docs/security.md, \"Roles\"); "
                                                        "unset: `access.default_role`")

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
        require_unique([r.id for r in self.rules], "escalation rule id")
        return self


class Access(Strict):
    """How people are known and what they may do (docs/security.md)."""

    default_role: Role = Field(default=Role.RESPONDER, description="The role of a person of the policy who has none")
    oidc_groups: dict[str, Role] = Field(default={}, description="OpenID Connect `groups` claim values and the role "
                                                                 "each gives (the highest one counts)")
    unmapped_slack_users: Literal["refuse", "responder"] = Field(
        default="refuse", description="A Slack user who is none of the people: `refuse` (read only) or `responder`")

    def role_of(self, person: Person, groups: list[str] = ()) -> Role:
        roles = [person.role or self.default_role, *(self.oidc_groups[g] for g in groups if g in self.oidc_groups)]
        return max(roles, key=lambda role: role.rank)


class OnCallPolicy(Strict):
    rotation: Rotation
    tiers: dict[Tier, TierSpec]
    people: dict[str, Person] = {}
    escalation: Escalation
    access: Access = Access()

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
