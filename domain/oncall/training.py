"""Training and eligibility (seed 000, 교육 및 훈련; docs/oncall.md, "Training"): who completed which training,
what each person still owes, and whether someone may go on call. Pure: the records come from the ledger."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.incident.severity import Tier
from domain.oncall.rotation import Problem
from domain.policy.oncall_policy import OnCallPolicy, TrainingKind

TRAINING_KINDS: tuple[str, ...] = ("onboarding", "quarterly", "advanced", "drill")
NOTES_MAX = 2000


class TrainingRecord(BaseModel):
    id: int | None = None
    person: str = Field(min_length=1, max_length=80)
    kind: TrainingKind
    completed_at: datetime
    hours: float = Field(gt=0, le=1000)
    notes: str = Field(default="", max_length=NOTES_MAX)
    role: str | None = Field(default=None, max_length=80, description="A drill's role played, e.g. ic, comms")
    evaluation: str | None = Field(default=None, max_length=NOTES_MAX, description="성과 평가 of the participant")
    scorecard: dict | None = Field(default=None, description="The drill's scorecard (`incident drill run --json`)")
    recorded_by: str = Field(min_length=1, max_length=200)
    recorded_at: datetime | None = None


class Eligibility(BaseModel):
    person: str
    eligible: bool
    onboarding_hours: float
    required_hours: float
    why: str = Field(description="What is missing, or that onboarding is complete")


def default_hours(oncall: OnCallPolicy, kind: str) -> float | None:
    """The hours a completion counts when none are given: the requirement's (None for a drill)."""
    requirement = oncall.training.requirements.get(kind)
    return requirement.hours if requirement else None


def hours_of(records: list[TrainingRecord], person: str, kind: str, since: datetime | None = None) -> float:
    return sum(r.hours for r in records
               if r.person == person and r.kind == kind and (since is None or r.completed_at >= since))


def eligibility(oncall: OnCallPolicy, records: list[TrainingRecord], person: str) -> Eligibility:
    """May `person` go on call? Only after the whole onboarding (its hours may be split over sessions)."""
    requirement = oncall.training.requirements.get("onboarding")
    needed = requirement.hours if requirement else 0.0
    done = hours_of(records, person, "onboarding")
    if done >= needed:
        why = f"onboarding complete ({done:g} h)" if needed else "no onboarding required by the policy"
        return Eligibility(person=person, eligible=True, onboarding_hours=done, required_hours=needed, why=why)
    missing = (f"no onboarding recorded (the policy requires {needed:g} h before going on call)" if not done else
               f"onboarding incomplete: {done:g} of {needed:g} h recorded")
    return Eligibility(person=person, eligible=False, onboarding_hours=done, required_hours=needed, why=missing)


def rotation_members(oncall: OnCallPolicy) -> list[str]:
    """Everyone in some tier's rotation, in tier order, each once."""
    seen: dict[str, None] = {}
    for tier in Tier:
        for member in oncall.tiers[tier].members:
            seen.setdefault(member, None)
    return list(seen)


def untrained_members(oncall: OnCallPolicy, records: list[TrainingRecord]) -> list[Eligibility]:
    return [e for e in (eligibility(oncall, records, m) for m in rotation_members(oncall)) if not e.eligible]


def untrained_problems(oncall: OnCallPolicy, records: list[TrainingRecord]) -> list[Problem]:
    """`incident oncall check`'s lines for rotation members without onboarding."""
    problems = []
    for tier in Tier:
        for member in oncall.tiers[tier].members:
            verdict = eligibility(oncall, records, member)
            if not verdict.eligible:
                problems.append(Problem(kind="untrained", tier=tier, who=member,
                                        text=f"{tier.value}: {member} is in the rotation but {verdict.why}"))
    return problems


def period_start(every: str, at: datetime, zone: str) -> datetime | None:
    """The start of the calendar quarter or year containing `at` in the rotation's zone (None: once)."""
    local = at.astimezone(ZoneInfo(zone))
    if every == "quarter":
        start = local.replace(month=3 * ((local.month - 1) // 3) + 1, day=1, hour=0, minute=0, second=0,
                              microsecond=0)
    elif every == "year":
        start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        return None
    return start.astimezone(UTC)


def quarter_label(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def owed(oncall: OnCallPolicy, records: list[TrainingRecord], person: str, at: datetime) -> list[str]:
    """Each requirement `person` has not met for the current period, e.g. "quarterly: 0 of 2 h in 2026-Q4"."""
    leads = {m for tier in oncall.training.lead_tiers for m in oncall.tiers[tier].members}
    zone = oncall.rotation.timezone
    out = []
    for kind, requirement in oncall.training.requirements.items():
        if requirement.who == "leads" and person not in leads:
            continue
        since = period_start(requirement.every, at, zone)
        done = hours_of(records, person, kind, since)
        if done < requirement.hours:
            period = {"once": "", "quarter": f" in {quarter_label(at, zone)}",
                      "year": f" in {at.astimezone(ZoneInfo(zone)).year}"}[requirement.every]
            out.append(f"{kind}: {done:g} of {requirement.hours:g} h{period}")
    return out


def drills_this_quarter(records: list[TrainingRecord], at: datetime, zone: str) -> list[TrainingRecord]:
    since = period_start("quarter", at, zone)
    return [r for r in records if r.kind == "drill" and since <= r.completed_at <= at + timedelta(minutes=1)]
