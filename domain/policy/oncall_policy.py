"""The on-call and escalation policy document (`policies/oncall-escalation-policy.yaml`): people, tiers and
their rotation, and the escalation rules (docs/oncall.md)."""

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from domain.common.durations import Duration
from domain.common.models import Strict
from domain.identity.roles import Role
from domain.incident.severity import Severity, Tier
from domain.policy.fields import SLUG, ZoneName, require_unique
from domain.policy.notification_rules import NotificationRules, NotifyStep, chain_errors, contact_errors

E164 = r"^\+[1-9][0-9]{6,14}$"  # what Twilio accepts as a `To`: + country code, number, no spaces


class Person(Strict):
    name: str
    slack_id: str | None = None
    email: str | None = None
    oidc_sub: str | None = Field(default=None, description="The `sub` of this person's OpenID Connect account, when "
                                                          "the provider's `email` claim is not theirs to log in with")
    phone: str | None = Field(default=None, pattern=E164, description="Mobile number in E.164 form (+821012345678)"
                                                                    ": SMS and voice pages, replies that acknowledge")
    pagerduty_routing_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding this person's PagerDuty routing key"
    )
    role: Role | None = Field(default=None, description="What this person may do (docs/security.md, \"Roles\"); "
                                                        "unset: `access.default_role`")
    notify: list[NotifyStep] | None = Field(
        default=None, description="This person's notification rules: each step's channels, how long after the page "
                                  "(docs/communications.md, \"Notification rules\"); unset: the team's default")

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


TrainingKind = Literal["onboarding", "quarterly", "advanced", "drill"]


class TrainingRequirement(Strict):
    hours: float = Field(gt=0, description="Hours a person must complete (sessions add up)")
    every: Literal["once", "quarter", "year"] = Field(description="once, or again each calendar quarter / year")
    who: Literal["everyone", "leads"] = Field("everyone", description="leads: members of `training.lead_tiers`")
    description: str = ""


def _default_requirements() -> dict[str, TrainingRequirement]:
    # seed 000, 교육 및 훈련: onboarding 4 h before going on call, quarterly 2 h, annual advanced 8 h for leads
    return {
        "onboarding": TrainingRequirement(hours=4, every="once", description="온콜 시작 전 필수 이수"),
        "quarterly": TrainingRequirement(hours=2, every="quarter", description="Tabletop, simulation, role play"),
        "advanced": TrainingRequirement(hours=8, every="year", who="leads", description="Annual, for team leads"),
    }


class Training(Strict):
    """Required trainings and what happens to someone on call without onboarding (docs/oncall.md, "Training")."""

    requirements: dict[Literal["onboarding", "quarterly", "advanced"], TrainingRequirement] = Field(
        default_factory=_default_requirements, description="Onboarding is the one required before going on call")
    untrained_oncall: Literal["refuse", "warn"] = Field(
        default="refuse", description="An override for a person without onboarding: `refuse` it or only `warn`")
    lead_tiers: list[Tier] = Field(default=[Tier.TERTIARY], description="Whose members count as leads")


class Readiness(Strict):
    """What `incident readiness` checks (docs/oncall.md, "Readiness")."""

    weeks_ahead: int = Field(default=4, ge=1, le=104, description="The rotation must cover this many weeks")
    probe_timeout: Duration = Field(default=timedelta(seconds=3), description="Per reachability probe")


class WorkingHours(Strict):
    """Business hours: what is outside them is off-hours (docs/oncall.md, "Compensation")."""

    days: list[Weekday] = Field(default=["monday", "tuesday", "wednesday", "thursday", "friday"])
    start: time = time(9, 0)
    end: time = time(18, 0)
    public_holidays: str | None = Field(default="KR", description="Country code (ISO 3166) whose public holidays "
                                                                  "are days off, from the `holidays` package; "
                                                                  "null: none")

    @model_validator(mode="after")
    def _ordered(self) -> "WorkingHours":
        if self.end <= self.start:
            raise ValueError("working_hours: end must be after start")
        return self


class NightWindow(Strict):
    """Night (a page in it is a night page); may run past midnight, as the default 22:00–07:00 does."""

    start: time = time(22, 0)
    end: time = time(7, 0)


class Compensation(Strict):
    """Rates of the monthly on-call compensation report (docs/oncall.md, "Compensation"): each hour is paid
    once, at its highest category (holiday > weekend > off-hours), and each page once (night > off-hours)."""

    currency: str = "KRW"
    tiers: list[Tier] = Field(default=[Tier.PRIMARY, Tier.SECONDARY],
                              description="Tiers whose shifts count as hours on call")
    per_off_hours_hour: Decimal = Field(default=Decimal(0), ge=0, description="Per weekday hour outside working hours")
    per_weekend_shift_hour: Decimal = Field(default=Decimal(0), ge=0, description="Per Saturday or Sunday hour")
    per_holiday_hour: Decimal = Field(default=Decimal(0), ge=0, description="Per public-holiday hour")
    per_off_hours_page: Decimal = Field(default=Decimal(0), ge=0, description="Per page outside working hours")
    per_night_page: Decimal = Field(default=Decimal(0), ge=0, description="Per page in the night window")


class OnCallPolicy(Strict):
    rotation: Rotation
    tiers: dict[Tier, TierSpec]
    people: dict[str, Person] = {}
    escalation: Escalation
    access: Access = Access()
    working_hours: WorkingHours = WorkingHours()
    night: NightWindow = NightWindow()
    compensation: Compensation = Compensation()
    training: Training = Training()
    readiness: Readiness = Readiness()
    notification_rules: NotificationRules = Field(
        default=NotificationRules(), description="The team's default notification rules (people without `notify`)")

    def notification_chain(self, handle: str | None) -> list[NotifyStep]:
        """The steps that notify this person of a page; empty: every configured channel at once, as without rules."""
        person = self.people.get(handle) if handle else None
        if person is None:
            return []
        return list(person.notify if person.notify is not None else self.notification_rules.default)

    @model_validator(mode="after")
    def _rules_valid(self) -> "OnCallPolicy":
        """Every chain in order; a person's own steps, and the default's for everyone in a tier who takes it,
        only through channels the person has a contact for."""
        errors = chain_errors(self.notification_rules.default, "notification_rules.default")
        in_tiers = {member for spec in self.tiers.values() for member in spec.members}
        for handle, person in self.people.items():
            if person.notify is not None:
                errors += chain_errors(person.notify, f"people.{handle}.notify")
                errors += contact_errors(person.notify, person, handle, f"people.{handle}.notify")
            elif handle in in_tiers:
                errors += contact_errors(self.notification_rules.default, person, handle,
                                         f"people.{handle} (notification_rules.default)")
        if errors:
            raise ValueError("notification rules: " + "; ".join(errors))
        return self

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
