"""Who holds a tier at a given moment: weekly shifts handed over at a local wall-clock time
(Monday 09:00 Asia/Seoul by default), with overrides that win over the rotation."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from domain.policy import WEEKDAYS, OnCallPolicy, Rotation
from domain.severity import Tier


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


def _anchor_local(rotation: Rotation) -> datetime:
    """The handover moment (naive local wall time) in the anchor date's week."""
    weekday = WEEKDAYS.index(rotation.handover_weekday)
    day = rotation.anchor - timedelta(days=(rotation.anchor.weekday() - weekday) % 7)
    return datetime.combine(day, rotation.handover_time)


def shift_index(rotation: Rotation, at: datetime) -> int:
    """How many shifts have started since the anchor handover. Counted in local wall time, so a 09:00
    handover stays at 09:00 across daylight-saving changes."""
    local = at.astimezone(ZoneInfo(rotation.timezone)).replace(tzinfo=None)
    return (local - _anchor_local(rotation)) // rotation.shift


def shift_bounds(rotation: Rotation, index: int) -> tuple[datetime, datetime]:
    """Start and end (aware, UTC) of shift `index`."""
    zone = ZoneInfo(rotation.timezone)
    start = _anchor_local(rotation) + index * rotation.shift
    end = start + rotation.shift
    return start.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")), end.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def scheduled_holder(oncall: OnCallPolicy, tier: Tier, at: datetime) -> str | None:
    members = oncall.tiers[tier].members
    if not members:
        return None
    return members[shift_index(oncall.rotation, at) % len(members)]


def holder(oncall: OnCallPolicy, tier: Tier, at: datetime, overrides: list[Override] = ()) -> str | None:
    """The person to page for `tier` at `at`: the latest-starting override covering it, else the rotation."""
    covering = [o for o in overrides if o.covers(tier, at)]
    if covering:
        return max(covering, key=lambda o: o.start).who
    return scheduled_holder(oncall, tier, at)


def next_handover(rotation: Rotation, after: datetime) -> datetime:
    return shift_bounds(rotation, shift_index(rotation, after))[1]
