"""Who holds a tier at a given moment: weekly shifts handed over at a local wall-clock time
(Monday 09:00 Asia/Seoul by default), with overrides that win over the rotation.

Shifts are counted in local wall time, so a Monday 09:00 handover stays at 09:00 across daylight-saving
changes (a Europe/Berlin week containing a DST switch is 167 or 169 hours long)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from domain.incident.severity import Tier
from domain.policy.oncall_policy import WEEKDAYS, OnCallPolicy, Rotation

INSTANT = timedelta(microseconds=1)


class Override(BaseModel):
    tier: Tier
    who: str = Field(min_length=1)
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    reason: str = ""
    model_config = {"populate_by_name": True}

    @model_validator(mode="after")
    def _ordered(self) -> "Override":
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("from and to need a UTC offset or zone, e.g. 2026-12-01T09:00+09:00")
        if self.end <= self.start:
            raise ValueError("'to' must be after 'from'")
        return self

    def covers(self, tier: Tier, at: datetime) -> bool:
        return self.tier == tier and self.start <= at < self.end


def rotation_for(oncall: OnCallPolicy, tier: Tier) -> Rotation:
    """The team rotation with this tier's own settings (if any) applied."""
    own = oncall.tiers[tier].rotation
    if own is None:
        return oncall.rotation
    return oncall.rotation.model_copy(update=own.model_dump(exclude_none=True))


def _anchor_local(rotation: Rotation) -> datetime:
    """The handover moment (naive local wall time) in the anchor date's week."""
    weekday = WEEKDAYS.index(rotation.handover_weekday)
    day = rotation.anchor - timedelta(days=(rotation.anchor.weekday() - weekday) % 7)
    return datetime.combine(day, rotation.handover_time)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """Wall time → UTC. An ambiguous wall time (autumn fall-back) is its first occurrence; a wall time
    skipped in spring lands as far after the jump as it was after the switch moment (PEP 495, fold=0)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def shift_index(rotation: Rotation, at: datetime) -> int:
    """How many shifts have started since the anchor handover (negative before it)."""
    local = at.astimezone(ZoneInfo(rotation.timezone)).replace(tzinfo=None)
    return (local - _anchor_local(rotation)) // rotation.shift


def shift_bounds(rotation: Rotation, index: int) -> tuple[datetime, datetime]:
    """Start and end (aware, UTC) of shift `index`."""
    zone = ZoneInfo(rotation.timezone)
    start = _anchor_local(rotation) + index * rotation.shift
    return _aware(start, zone), _aware(start + rotation.shift, zone)


def scheduled_holder(oncall: OnCallPolicy, tier: Tier, at: datetime) -> str | None:
    members = oncall.tiers[tier].members
    if not members:
        return None
    return members[shift_index(rotation_for(oncall, tier), at) % len(members)]


def covering_override(tier: Tier, at: datetime, overrides: list[Override] = ()) -> Override | None:
    """The override in force: of those covering `at`, the one that starts latest (a swap inside a vacation
    cover wins over the cover)."""
    covering = [o for o in overrides if o.covers(tier, at)]
    return max(covering, key=lambda o: o.start) if covering else None


def holder(oncall: OnCallPolicy, tier: Tier, at: datetime, overrides: list[Override] = ()) -> str | None:
    """The person to page for `tier` at `at`: the latest-starting override covering it, else the rotation."""
    override = covering_override(tier, at, overrides)
    if override is not None:
        return override.who
    return scheduled_holder(oncall, tier, at)


def holders(oncall: OnCallPolicy, at: datetime, overrides: list[Override] = ()) -> dict[Tier, str | None]:
    return {tier: holder(oncall, tier, at, overrides) for tier in Tier}


def next_handover(rotation: Rotation, after: datetime) -> datetime:
    return shift_bounds(rotation, shift_index(rotation, after))[1]


def last_handover(rotation: Rotation, at: datetime) -> datetime:
    """The start of the shift running at `at` (== `at` exactly at a handover)."""
    return shift_bounds(rotation, shift_index(rotation, at))[0]


# ── who holds what when ──────────────────────────────────────────────────────────────────────────────
class Segment(BaseModel):
    """A stretch of time during which one person (or nobody) holds a tier."""

    tier: Tier
    start: datetime
    end: datetime
    who: str | None
    override: str | None = Field(default=None, description="The override's reason when one is in force")


def segments(oncall: OnCallPolicy, tier: Tier, start: datetime, end: datetime,
             overrides: list[Override] = ()) -> list[Segment]:
    """The tier's plan between `start` and `end`: cut at every handover and override edge, adjacent
    pieces with the same holder (and override) merged."""
    rotation = rotation_for(oncall, tier)
    cuts = {start, end}
    index = shift_index(rotation, start)
    while (bound := shift_bounds(rotation, index)[1]) < end:
        cuts.add(bound)
        index += 1
    for override in overrides:
        if override.tier == tier:
            cuts.update(t for t in (override.start, override.end) if start < t < end)
    ordered = sorted(cuts)
    result: list[Segment] = []
    for left, right in zip(ordered, ordered[1:], strict=False):
        cover = covering_override(tier, left, overrides)
        who = cover.who if cover else scheduled_holder(oncall, tier, left)
        reason = (cover.reason or "override") if cover else None
        if result and result[-1].who == who and result[-1].override == reason:
            result[-1].end = right
        else:
            result.append(Segment(tier=tier, start=left, end=right, who=who, override=reason))
    return result


def plan(oncall: OnCallPolicy, start: datetime, end: datetime, overrides: list[Override] = (),
         tiers: list[Tier] | None = None) -> list[Segment]:
    """Every tier's segments, ordered by tier then time."""
    return [s for tier in (tiers or list(Tier)) for s in segments(oncall, tier, start, end, overrides)]


# ── handover ─────────────────────────────────────────────────────────────────────────────────────────
class TierHandover(BaseModel):
    tier: Tier
    outgoing: str | None
    incoming: str | None

    @property
    def changes(self) -> bool:
        return self.outgoing != self.incoming


def handover_at(oncall: OnCallPolicy, at: datetime, overrides: list[Override] = ()) -> list[TierHandover]:
    """Per tier, who held it just before `at` and who holds it from `at`."""
    return [
        TierHandover(tier=tier, outgoing=holder(oncall, tier, at - INSTANT, overrides),
                     incoming=holder(oncall, tier, at, overrides))
        for tier in Tier
    ]


# ── problems ─────────────────────────────────────────────────────────────────────────────────────────
class Problem(BaseModel):
    kind: str = Field(description="gap | no_contact | unknown_person")
    tier: Tier | None = None
    who: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    text: str


def check(oncall: OnCallPolicy, start: datetime, end: datetime, overrides: list[Override] = ()) -> list[Problem]:
    """Gaps (a tier nobody holds) between `start` and `end`, people on the plan nobody can reach, and
    overrides naming someone the policy does not know."""
    problems: list[Problem] = []
    for segment in plan(oncall, start, end, overrides):
        if segment.who is None:
            problems.append(Problem(
                kind="gap", tier=segment.tier, start=segment.start, end=segment.end,
                text=f"{segment.tier.value}: nobody on call {segment.start.isoformat()} → {segment.end.isoformat()}"
                     " (pages go to the next tier up)"))
    for tier, spec in oncall.tiers.items():
        for member in spec.members:
            person = oncall.people.get(member)
            if person is not None and not person.has_contact:
                problems.append(Problem(kind="no_contact", tier=tier, who=member,
                                        text=f"{tier.value}: {member} has no contact (slack_id, email, phone or "
                                             "pagerduty_routing_key_env) under people"))
    for override in overrides:
        if override.end <= start or override.start >= end:
            continue
        person = oncall.people.get(override.who)
        if person is None:
            problems.append(Problem(kind="unknown_person", tier=override.tier, who=override.who,
                                    start=override.start, end=override.end,
                                    text=f"{override.tier.value}: override names {override.who!r}, who is not "
                                         "listed under people (no contact to page)"))
        elif not person.has_contact:
            problems.append(Problem(kind="no_contact", tier=override.tier, who=override.who,
                                    text=f"{override.tier.value}: override holder {override.who} has no contact"))
    return problems
