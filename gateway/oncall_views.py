"""The JSON shapes of `/api/oncall` (gateway/oncall_api.py) and how they are built from the policy and the stored
overrides; the console's On call page renders the same views."""

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from adapters.stores.overrides import StoredOverride
from domain.common.limits import TEXT_MAX
from domain.incident.severity import Tier
from domain.policy.model import Policy
from domain.policy.oncall_policy import WEEKDAYS
from service import oncall as oncall_service


def _plausible(moment: datetime) -> datetime:
    """A time an on-call plan can hold: far-off years would overflow the rotation's arithmetic."""
    if not 1970 <= moment.year <= 2200:
        raise ValueError(f"{moment.isoformat()}: use a time between 1970 and 2200")
    return moment


Moment = Annotated[datetime, AfterValidator(_plausible)]


class Contacts(BaseModel):
    slack_id: str | None = None
    email: str | None = None
    phone: str | None = None


class Holder(BaseModel):
    tier: Tier
    tier_name: str
    who: str | None = Field(description="The person on call; null: nobody (pages go up a tier)")
    name: str | None
    since: datetime | None = Field(description="null: the same holder for as far as the rotation is looked at")
    until: datetime | None
    source: Literal["rotation", "override"]
    override: str | None = Field(description="The override's reason when one decides")
    override_id: str | None
    contacts: Contacts


class OnCallNow(BaseModel):
    at: datetime
    timezone: str
    tiers: list[Holder]


class Shift(BaseModel):
    start: datetime
    end: datetime
    who: str | None
    name: str | None
    source: Literal["rotation", "override"]
    override: str | None
    override_id: str | None


class TierCalendar(BaseModel):
    tier: Tier
    tier_name: str
    shifts: list[Shift]


class OnCallCalendar(BaseModel):
    start: datetime
    end: datetime
    timezone: str
    tiers: list[TierCalendar]


class OverrideView(BaseModel):
    id: str
    tier: Tier
    person: str
    name: str
    start: datetime
    end: datetime
    reason: str
    created_at: datetime
    created_by: str | None
    warning: str | None = Field(None, description="Set when the policy only warns about this person's training")


class OverrideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier
    person: str = Field(min_length=1, max_length=80, description="A person of the on-call policy")
    start: Moment = Field(description="ISO 8601; without an offset, in the rotation's zone")
    end: Moment = Field(description="Exclusive; after the start")
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


class SwapRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier
    first: Moment = Field(description="A moment in the first shift (its holder takes the second)")
    second: Moment = Field(description="A moment in the second shift (its holder takes the first)")
    reason: str = Field("", max_length=TEXT_MAX)


class Swap(BaseModel):
    overrides: list[OverrideView]
    warnings: list[str] = Field(default_factory=list, description="When the policy only warns about training")


class FeedLink(BaseModel):
    tier: Tier | None = None
    person: str | None = None
    name: str
    url: str


class Feeds(BaseModel):
    person: FeedLink | None = Field(description="The caller's own feed (a person of the policy), or `person`'s")
    tiers: list[FeedLink]



def override_view(policy: Policy, stored: StoredOverride, warning: str | None = None) -> OverrideView:
    return OverrideView(id=stored.id, tier=stored.tier, person=stored.who, name=policy.person_name(stored.who),
                        start=stored.start, end=stored.end, reason=stored.reason, created_at=stored.created_at,
                        created_by=stored.created_by, warning=warning)


def now_view(policy: Policy, at: datetime, overrides: list[StoredOverride]) -> OnCallNow:
    view = oncall_service.holders_now(policy, at, overrides)
    return OnCallNow(at=view["at"], timezone=view["timezone"], tiers=[
        Holder(**{k: row[k] for k in Holder.model_fields if k != "contacts"},
               contacts=Contacts(slack_id=row["slack_id"], email=row["email"], phone=row["phone"]))
        for row in view["tiers"]])


def calendar_start(policy: Policy, now: datetime) -> datetime:
    """Midnight (rotation zone) of the handover weekday that began this week: the calendar's first day."""
    zone = ZoneInfo(policy.oncall.rotation.timezone)
    local = now.astimezone(zone)
    back = (local.weekday() - WEEKDAYS.index(policy.oncall.rotation.handover_weekday)) % 7
    day = local.date() - timedelta(days=back)
    return datetime.combine(day, time(0), tzinfo=zone)


def calendar_view(policy: Policy, start: datetime, weeks: int, overrides: list[StoredOverride]) -> OnCallCalendar:
    end = start + timedelta(weeks=weeks)
    tiers = []
    for tier in Tier:
        shifts = []
        for piece in oncall_service.shift_pieces(policy, tier, start, end, overrides):
            source, override_id = oncall_service.source_of(tier, piece.start, overrides)
            shifts.append(Shift(start=piece.start, end=piece.end, who=piece.who,
                                name=policy.person_name(piece.who) if piece.who else None, source=source,
                                override=piece.override, override_id=override_id))
        tiers.append(TierCalendar(tier=tier, tier_name=policy.oncall.tiers[tier].name, shifts=shifts))
    return OnCallCalendar(start=start.astimezone(UTC), end=end.astimezone(UTC),
                          timezone=policy.oncall.rotation.timezone, tiers=tiers)
