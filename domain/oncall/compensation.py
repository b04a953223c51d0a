"""The monthly on-call compensation report ("성과 관리: 온콜 품질 지표 및 보상 체계") as pure functions: hours on
call by category and pages per person, priced with the policy's rates, as PagerDuty's on-call compensation
report does (docs/oncall.md, "Compensation", gives the definitions).

- month: the calendar month in the rotation's zone, the 1st 00:00 to the next 1st 00:00.
- hours on call: the union of the person's shifts (overrides applied) in the policy's compensated tiers.
- off-hours: outside working hours, which are the working days' start–end; weekends and public holidays are
  off-hours all day. Weekend: Saturday and Sunday. Holiday: a public holiday's date (also on a weekend).
- pay: each hour once at its highest category (holiday > weekend > weekday off-hours), each page once
  (night > off-hours); a page in working hours outside the night window earns nothing.
- incidents handled: detected in the month, acknowledged by the person or with them as IC. MTTA: the mean time
  from the person's first page of the incident before their acknowledgement (else its detection) to it.
Drills are left out.
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from domain.incident.state import IncidentState
from domain.oncall.rotation import Segment
from domain.policy.oncall_policy import WEEKDAYS, Compensation, NightWindow, OnCallPolicy, WorkingHours

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CENT = Decimal("0.01")
HOUR = timedelta(hours=1)


class MonthError(ValueError):
    pass


def parse_month(text: str) -> tuple[int, int]:
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 2999:
        raise MonthError(f"month {text!r}: use a month like 2026-11")
    return int(match[1]), int(match[2])


def month_window(month: str, zone: str) -> tuple[datetime, datetime]:
    year, number = parse_month(month)
    tz = ZoneInfo(zone)
    after = date(year + number // 12, number % 12 + 1, 1)
    return datetime(year, number, 1, tzinfo=tz), datetime.combine(after, time(0), tzinfo=tz)


class Moment:
    """How one local moment counts: working hours, weekend, holiday, night."""

    def __init__(self, at: datetime, zone: ZoneInfo, hours: WorkingHours, night: NightWindow,
                 holidays: dict[date, str]):
        local = at.astimezone(zone)
        day, clock = local.date(), local.time()
        self.holiday = day in holidays
        self.weekend = day.weekday() >= 5
        working_day = WEEKDAYS[day.weekday()] in hours.days and not self.holiday
        self.off_hours = not (working_day and hours.start <= clock < hours.end)
        if night.start <= night.end:
            self.night = night.start <= clock < night.end
        else:
            self.night = clock >= night.start or clock < night.end


class PayLine(BaseModel):
    item: str
    quantity: float
    rate: Decimal
    amount: Decimal


class CompensationRow(BaseModel):
    who: str
    name: str
    hours: float = 0
    off_hours_hours: float = 0
    weekend_hours: float = 0
    holiday_hours: float = 0
    pages: int = 0
    off_hours_pages: int = 0
    night_pages: int = 0
    incidents_handled: int = 0
    acknowledgements: int = 0
    mtta_seconds: float | None = None
    pay: list[PayLine] = []
    total: Decimal = Decimal(0)


class CompensationReport(BaseModel):
    month: str
    start: datetime
    end: datetime
    timezone: str
    currency: str
    holidays: dict[date, str]
    rows: list[CompensationRow]
    total: Decimal


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _cuts(start: datetime, end: datetime, zone: ZoneInfo, hours: WorkingHours, night: NightWindow) -> list[datetime]:
    """`start`, `end` and every local midnight, working-hours and night edge between them: within two
    neighbours every moment counts the same."""
    clocks = sorted({time(0), hours.start, hours.end, night.start, night.end})
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    cuts = {start, end}
    while day <= last:
        cuts.update(m for c in clocks if start < (m := datetime.combine(day, c, tzinfo=zone)) < end)
        day += timedelta(days=1)
    return sorted(cuts)


class _Tally:
    def __init__(self, row: CompensationRow):
        self.row = row
        self.paid = {"off_hours": timedelta(0), "weekend": timedelta(0), "holiday": timedelta(0)}
        self.paid_pages = {"off_hours": 0, "night": 0}
        self.ack_seconds: list[float] = []
        self.spans: list[tuple[datetime, datetime]] = []
        self.handled: set[str] = set()


def build_compensation(oncall: OnCallPolicy, month: str, shifts: list[Segment], incidents: list[IncidentState],
                       holidays: dict[date, str], names: dict[str, str] | None = None) -> CompensationReport:
    """One row per person with hours on call, a page or an incident handled in `month`. `shifts` are the plan's
    segments (any tiers, any span: cut to the compensated tiers and the month here)."""
    zone_name = oncall.rotation.timezone
    zone, rates = ZoneInfo(zone_name), oncall.compensation
    start, end = month_window(month, zone_name)
    names = names or {k: p.name for k, p in oncall.people.items()}
    tallies: dict[str, _Tally] = {}

    def tally(who: str) -> _Tally:
        if who not in tallies:
            tallies[who] = _Tally(CompensationRow(who=who, name=names.get(who, who)))
        return tallies[who]

    def moment(at: datetime) -> Moment:
        return Moment(at, zone, oncall.working_hours, oncall.night, holidays)

    for shift in shifts:
        if shift.who and shift.tier in rates.tiers and shift.start < end and shift.end > start:
            tally(shift.who).spans.append((max(shift.start, start), min(shift.end, end)))
    for t in tallies.values():
        for span_start, span_end in _merged(t.spans):
            cuts = _cuts(span_start, span_end, zone, oncall.working_hours, oncall.night)
            for left, right in zip(cuts, cuts[1:], strict=False):
                _count_hours(t, moment(left), right - left)
    for incident in incidents:
        if not incident.drill:
            _count_incident(incident, start, end, tally, moment)
    rows = [_priced(t, rates) for t in tallies.values()]
    rows.sort(key=lambda r: (-r.total, -r.hours, r.who))
    return CompensationReport(month=month, start=start, end=end, timezone=zone_name, currency=rates.currency,
                              holidays={d: n for d, n in sorted(holidays.items()) if start.date() <= d < end.date()},
                              rows=rows, total=sum((r.total for r in rows), Decimal(0)))


def _count_hours(t: _Tally, m: Moment, length: timedelta) -> None:
    row = t.row
    hours = length / HOUR
    row.hours += hours
    row.off_hours_hours += hours if m.off_hours else 0
    row.weekend_hours += hours if m.weekend else 0
    row.holiday_hours += hours if m.holiday else 0
    category = "holiday" if m.holiday else "weekend" if m.weekend else "off_hours" if m.off_hours else None
    if category:
        t.paid[category] += length


def _count_incident(incident: IncidentState, start: datetime, end: datetime, tally, moment) -> None:
    acker, acked = incident.acknowledged_by, incident.acknowledged_at
    first_page: dict[str, datetime] = {}
    for page in incident.pages:
        if page.target is None:
            continue
        if acked is None or page.at <= acked:
            first_page[page.target] = min(page.at, first_page.get(page.target, page.at))
        if not start <= page.at < end:
            continue
        t, m = tally(page.target), moment(page.at)
        t.row.pages += 1
        t.row.off_hours_pages += m.off_hours
        t.row.night_pages += m.night
        if m.night or m.off_hours:
            t.paid_pages["night" if m.night else "off_hours"] += 1
    if acker and acked is not None and start <= acked < end:
        since = first_page.get(acker, incident.detected_at)
        tally(acker).ack_seconds.append(max((acked - since).total_seconds(), 0.0))
    if start <= incident.detected_at < end:
        for who in {acker, incident.roles.ic} - {None}:
            tally(who).handled.add(incident.id)


def _hours(length: timedelta) -> float:
    return round(length / HOUR, 2)


def _priced(t: _Tally, rates: Compensation) -> CompensationRow:
    row = t.row
    for name in ("hours", "off_hours_hours", "weekend_hours", "holiday_hours"):
        setattr(row, name, round(getattr(row, name), 2))
    row.incidents_handled = len(t.handled)
    row.acknowledgements = len(t.ack_seconds)
    row.mtta_seconds = round(sum(t.ack_seconds) / len(t.ack_seconds), 1) if t.ack_seconds else None
    lines = [
        ("weekday off-hours hours", _hours(t.paid["off_hours"]), rates.per_off_hours_hour),
        ("weekend hours", _hours(t.paid["weekend"]), rates.per_weekend_shift_hour),
        ("holiday hours", _hours(t.paid["holiday"]), rates.per_holiday_hour),
        ("off-hours pages", t.paid_pages["off_hours"], rates.per_off_hours_page),
        ("night pages", t.paid_pages["night"], rates.per_night_page),
    ]
    row.pay = [PayLine(item=item, quantity=quantity, rate=rate,
                       amount=(Decimal(str(quantity)) * rate).quantize(CENT, ROUND_HALF_UP))
               for item, quantity, rate in lines]
    row.total = sum((line.amount for line in row.pay), Decimal(0))
    return row
