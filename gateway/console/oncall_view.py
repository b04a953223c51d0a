"""What the console's On call page shows (pure: from the policy, the API's views and a moment): each week of the
calendar as days with who holds each tier, the shifts a swap can exchange, and the overrides still to come."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.policy.model import Policy
from gateway.oncall_views import OnCallCalendar, OverrideView

SWAP_SEPARATOR = "@"  # a swap form's choice: "<tier>@<a moment of the shift>"


@dataclass
class Entry:
    who: str | None
    name: str | None
    starts: str | None  # "09:00" when the holder takes over during the day
    ends: str | None  # "09:00" when they hand over during the day
    override: str | None
    override_id: str | None


@dataclass
class Day:
    label: str
    iso: str
    cells: dict[str, list[Entry]] = field(default_factory=dict)


@dataclass
class Week:
    label: str
    days: list[Day]


def weeks(calendar: OnCallCalendar) -> list[Week]:
    zone = ZoneInfo(calendar.timezone)
    first = calendar.start.astimezone(zone)
    found: list[Week] = []
    count = round((calendar.end - calendar.start) / timedelta(weeks=1))
    for w in range(count):
        days = []
        for d in range(7):
            begin = datetime.combine(first.date() + timedelta(days=7 * w + d), first.timetz())
            end = datetime.combine(begin.date() + timedelta(days=1), first.timetz())
            day = Day(label=begin.strftime("%m-%d %a"), iso=begin.date().isoformat())
            for tier in calendar.tiers:
                entries: list[Entry] = []
                for s in tier.shifts:
                    if not (s.start < end and s.end > begin):
                        continue
                    ends = s.end.astimezone(zone).strftime("%H:%M") if s.end < end else None
                    last = entries[-1] if entries else None
                    if last and (last.who, last.override_id) == (s.who, s.override_id):  # a handover to oneself
                        last.ends = ends
                        continue
                    entries.append(Entry(who=s.who, name=s.name, ends=ends, override=s.override,
                                         starts=s.start.astimezone(zone).strftime("%H:%M") if s.start > begin else None,
                                         override_id=s.override_id))
                day.cells[tier.tier.value] = entries
            days.append(day)
        found.append(Week(label=f"Week of {days[0].iso}", days=days))
    return found


def swap_choices(calendar: OnCallCalendar, now: datetime) -> list[tuple[str, str]]:
    """(value, label) of every shift someone holds that has not ended, for the swap form's two lists."""
    zone = ZoneInfo(calendar.timezone)
    choices = []
    for tier in calendar.tiers:
        for s in tier.shifts:
            if s.who is None or s.end <= now:
                continue
            span = f"{s.start.astimezone(zone):%m-%d %a %H:%M} → {s.end.astimezone(zone):%m-%d %a %H:%M}"
            choices.append((f"{tier.tier.value}{SWAP_SEPARATOR}{s.start.isoformat()}",
                            f"{tier.tier_name} · {span} · {s.name} ({s.who})"))
    return choices


def people(policy: Policy) -> list[tuple[str, str]]:
    return [(key, person.name) for key, person in policy.oncall.people.items()]


def upcoming(overrides: list[OverrideView], now: datetime) -> list[OverrideView]:
    return [o for o in overrides if o.end > now]
