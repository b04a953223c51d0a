"""The on-call performance report ("온콜 성과 봇") as pure functions over incident records.

Definitions (docs/oncall.md repeats them for readers of the report):
- week: an ISO week (`2026-W47`), Monday 00:00 to the next Monday 00:00 in the rotation's time zone; a page
  belongs to the week it was sent in. Drills are left out.
- acknowledged: the paged person acknowledged the incident after the page; time to acknowledge runs from
  that page to the acknowledgement.
- median: the middle value (mean of the two middle ones for an even count); p90: nearest rank,
  the ⌈0.9·n⌉-th smallest value.
- off-hours: sent before 09:00 or from 18:00 on, local time (any day); weekend pages are counted apart.
- no-answer escalation: the `ack-timeout` escalation (nobody acknowledged within the severity's response
  time), charged to whoever held the tier below and was paged before it fired.
"""

import math
import re
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.incident.planner import ACK_TIMEOUT_RULE
from domain.incident.severity import Tier
from domain.incident.state import IncidentState
from domain.policy.model import Policy

WORK_START, WORK_END = time(9, 0), time(18, 0)
ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekError(ValueError):
    pass


def parse_week(text: str) -> tuple[int, int]:
    match = ISO_WEEK.match(text.strip())
    if not match:
        raise WeekError(f"week {text!r}: use an ISO week like 2026-W47")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise WeekError(f"week {text!r}: {year} has no week {week}") from None
    return year, week


def week_window(week: str, zone: str) -> tuple[datetime, datetime]:
    year, number = parse_week(week)
    monday = datetime.combine(date.fromisocalendar(year, number, 1), time(0), tzinfo=ZoneInfo(zone))
    return monday, datetime.combine(monday.date() + timedelta(weeks=1), time(0), tzinfo=ZoneInfo(zone))


def week_of(at: datetime, zone: str) -> str:
    year, week, _ = at.astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(at: datetime, zone: str) -> str:
    return week_of(at - timedelta(weeks=1), zone)


def is_off_hours(at: datetime, zone: str) -> bool:
    local = at.astimezone(ZoneInfo(zone)).time()
    return local < WORK_START or local >= WORK_END


def is_weekend(at: datetime, zone: str) -> bool:
    return at.astimezone(ZoneInfo(zone)).weekday() >= 5


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


class ResponderStats(BaseModel):
    who: str
    name: str
    pages: int = 0
    acknowledged: int = 0
    ack_seconds: list[float] = Field(default=[], description="Time to acknowledge of each acknowledged page")
    median_ack_seconds: float | None = None
    p90_ack_seconds: float | None = None
    off_hours_pages: int = 0
    weekend_pages: int = 0
    no_answer_escalations: int = 0


class TierLoad(BaseModel):
    tier: Tier
    pages: int = 0
    incidents: int = 0
    off_hours_pages: int = 0
    no_answer_escalations: int = Field(default=0, description="ack-timeouts that left this tier for the next one")


class OnCallReport(BaseModel):
    week: str
    start: datetime
    end: datetime
    timezone: str
    incidents: int
    pages: int
    responders: list[ResponderStats]
    tiers: list[TierLoad]


def build_report(policy: Policy, incidents: list[IncidentState], week: str) -> OnCallReport:
    zone = policy.oncall.rotation.timezone
    start, end = week_window(week, zone)
    responders: dict[str, ResponderStats] = {}
    tiers = {tier: TierLoad(tier=tier) for tier in Tier}
    tier_incidents: dict[Tier, set[str]] = {tier: set() for tier in Tier}
    touched: set[str] = set()
    total_pages = 0

    def stats(who: str) -> ResponderStats:
        if who not in responders:
            responders[who] = ResponderStats(who=who, name=policy.person_name(who) or who)
        return responders[who]

    for incident in incidents:
        if incident.drill:
            continue
        for page in incident.pages:
            if page.target is None or not start <= page.at < end:
                continue
            total_pages += 1
            touched.add(incident.id)
            person, load = stats(page.target), tiers[page.tier]
            person.pages += 1
            load.pages += 1
            tier_incidents[page.tier].add(incident.id)
            if is_off_hours(page.at, zone):
                person.off_hours_pages += 1
                load.off_hours_pages += 1
            if is_weekend(page.at, zone):
                person.weekend_pages += 1
            acked = incident.acknowledged_at
            if incident.acknowledged_by == page.target and acked is not None and acked >= page.at:
                person.acknowledged += 1
                person.ack_seconds.append((acked - page.at).total_seconds())
        for escalation in incident.escalations:
            if escalation.rule != ACK_TIMEOUT_RULE or not start <= escalation.at < end:
                continue
            below = list(Tier)[max(escalation.tier.level - 1, 0)]
            tiers[below].no_answer_escalations += 1
            silent = {p.target for p in incident.pages if p.tier == below and p.target and p.at <= escalation.at}
            for who in sorted(silent):
                stats(who).no_answer_escalations += 1

    for person in responders.values():
        person.median_ack_seconds = median(person.ack_seconds)
        person.p90_ack_seconds = p90(person.ack_seconds)
    for tier, load in tiers.items():
        load.incidents = len(tier_incidents[tier])
    return OnCallReport(
        week=week, start=start, end=end, timezone=zone, incidents=len(touched), pages=total_pages,
        responders=sorted(responders.values(), key=lambda r: (-r.pages, r.who)), tiers=list(tiers.values()),
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def render_report(report: OnCallReport) -> str:
    lines = [
        f"📊 On-call report {report.week} ({report.start:%Y-%m-%d} – {report.end - timedelta(days=1):%Y-%m-%d},"
        f" {report.timezone}): {report.pages} page(s) in {report.incidents} incident(s)",
    ]
    if report.responders:
        lines.append("Responder | pages | acked | median ack | p90 ack | off-hours | weekend | no-answer esc.")
        for r in report.responders:
            lines.append(f"{r.name} ({r.who}) | {r.pages} | {r.acknowledged} | {_duration(r.median_ack_seconds)} | "
                         f"{_duration(r.p90_ack_seconds)} | {r.off_hours_pages} | {r.weekend_pages} | "
                         f"{r.no_answer_escalations}")
    else:
        lines.append("No pages this week. 🎉")
    lines.append("Tier load: " + ", ".join(
        f"{t.tier.value} {t.pages} page(s)/{t.incidents} incident(s)"
        + (f", {t.no_answer_escalations} unanswered" if t.no_answer_escalations else "")
        for t in report.tiers))
    return "\n".join(lines)
