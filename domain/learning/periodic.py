"""Periodic checks (docs/learning-loop.md, "Periodic checks"): calendar periods in the team's zone and each check's
status for a period from its completion records and, for `done_when: drill`, the drill training records. Pure."""

import re
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.incident.severity import Tier
from domain.learning.periodic_policy import Every, PeriodicCheck
from domain.oncall.training import TrainingRecord

NOTES_MAX = 2000
LABEL_FORMS = {"week": "2026-W49", "month": "2026-12", "quarter": "2026-Q4", "year": "2026"}
_PATTERNS = {"week": re.compile(r"^(\d{4})-W(\d{2})$"), "month": re.compile(r"^(\d{4})-(\d{2})$"),
             "quarter": re.compile(r"^(\d{4})-Q(\d)$"), "year": re.compile(r"^(\d{4})$")}


class CheckPeriod(BaseModel):
    every: Every
    label: str
    start: datetime
    end: datetime  # exclusive: 00:00 local of the next period's first day


def _first_day(every: Every, day: date) -> date:
    if every == "week":
        return day - timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    if every == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _next_first_day(every: Every, first: date) -> date:
    if every == "week":
        return first + timedelta(days=7)
    if every == "year":
        return date(first.year + 1, 1, 1)
    months = 1 if every == "month" else 3
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def _label(every: Every, first: date) -> str:
    if every == "week":
        iso = first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if every == "month":
        return f"{first.year}-{first.month:02d}"
    if every == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return str(first.year)


def _period(every: Every, first: date, zone: str) -> CheckPeriod:
    tz = ZoneInfo(zone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(_next_first_day(every, first), datetime.min.time(), tzinfo=tz)
    return CheckPeriod(every=every, label=_label(every, first), start=start, end=end)


def period_at(every: Every, at: datetime, zone: str) -> CheckPeriod:
    """The period containing `at`."""
    return _period(every, _first_day(every, at.astimezone(ZoneInfo(zone)).date()), zone)


def previous_period(period: CheckPeriod, zone: str) -> CheckPeriod:
    return period_at(period.every, period.start - timedelta(microseconds=1), zone)


def parse_label(every: Every, label: str, zone: str) -> CheckPeriod:
    """`2026-W49`, `2026-12`, `2026-Q4` or `2026`; ValueError names the form this period takes."""
    text = label.strip()
    match = _PATTERNS[every].match(text)
    problem = f"period {label!r} is not a {every}: a {every} looks like {LABEL_FORMS[every]}"
    if not match:
        raise ValueError(problem)
    year = int(match.group(1))
    try:
        if every == "week":
            first = date.fromisocalendar(year, int(match.group(2)), 1)
        elif every == "month":
            first = date(year, int(match.group(2)), 1)
        elif every == "quarter":
            quarter = int(match.group(2))
            if not 1 <= quarter <= 4:
                raise ValueError
            first = date(year, 3 * quarter - 2, 1)
        else:
            first = date(year, 1, 1)
    except ValueError:
        raise ValueError(f"{problem} (no such {every})") from None
    return _period(every, first, zone)


def periods_overlapping(every: Every, start: datetime, end: datetime, zone: str) -> list[CheckPeriod]:
    """Every period of this kind that overlaps [start, end)."""
    found, cursor = [], period_at(every, start, zone)
    while cursor.start < end:
        found.append(cursor)
        cursor = _period(every, _next_first_day(every, cursor.start.date()), zone)
    return found


class Completion(BaseModel):
    item: str
    period: str
    completed_at: datetime
    completed_by: str
    notes: str = Field("", max_length=NOTES_MAX)
    recorded_by: str
    recorded_at: datetime


Status = Literal["done", "due", "missed", "upcoming"]


class CheckStatus(BaseModel):
    item: str
    title: str
    every: Every
    owner: Tier
    period: str
    start: datetime
    end: datetime
    remind_at: datetime = Field(description="When the reminder goes out if the check is not done by then")
    status: Status = Field(description="done; due (before the end); missed (ended without it); upcoming")
    by: str | None = None
    at: datetime | None = None
    notes: str = ""
    via: Literal["record", "drill"] | None = Field(None, description="A completion record, or drill records")
    late: bool = Field(False, description="Done, but after the period ended")


def status_of(item: str, check: PeriodicCheck, period: CheckPeriod, completions: list[Completion],
              drills: list[TrainingRecord], now: datetime) -> CheckStatus:
    """`completions`: this check's records (any period); `drills`: training records (only kind `drill` count)."""
    base = dict(item=item, title=check.title, every=check.every, owner=check.owner, period=period.label,
                start=period.start, end=period.end, remind_at=period.end - check.remind)
    record = next((c for c in completions if c.item == item and c.period == period.label), None)
    if record is not None:
        return CheckStatus(**base, status="done", by=record.completed_by, at=record.completed_at, notes=record.notes,
                           via="record", late=record.completed_at >= period.end)
    held = sorted((d for d in drills if d.kind == "drill" and period.start <= d.completed_at < period.end
                   and d.completed_at <= now), key=lambda d: d.completed_at) if check.done_when == "drill" else []
    if held:
        notes = "; ".join(dict.fromkeys(d.notes for d in held if d.notes))
        return CheckStatus(**base, status="done", by=", ".join(dict.fromkeys(d.person for d in held)),
                           at=held[0].completed_at, notes=notes or "drill recorded", via="drill")
    state: Status = "upcoming" if now < period.start else ("due" if now < period.end else "missed")
    return CheckStatus(**base, status=state)


def statuses_in(checks: dict[str, PeriodicCheck], zone: str, completions: list[Completion],
                drills: list[TrainingRecord], start: datetime, end: datetime, now: datetime) -> list[CheckStatus]:
    """Each check's status for every one of its periods overlapping [start, end) (a review's period)."""
    return [status_of(item, check, span, completions, drills, now)
            for item, check in checks.items() for span in periods_overlapping(check.every, start, end, zone)]
