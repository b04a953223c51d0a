"""Weekly and monthly reviews (seed 000 "주간 리뷰 / 월간 리뷰"): statistics, metrics against the policy's
targets, postmortems on time, action items, procedure compliance, trend. Pure: the CLI and the report
workflow read the ledger and hand the rows in; `domain.learning.report_markdown` turns the result into the document."""

import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from domain.incident.records import ActionItem, IncidentRecord, PostmortemRecord
from domain.incident.severity import Severity
from domain.incident.state import IncidentState
from domain.learning import metrics
from domain.learning.compliance import compliance
from domain.learning.periodic import CheckStatus
from domain.policy.model import Policy

PeriodKind = Literal["weekly", "monthly"]
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Period(BaseModel):
    kind: PeriodKind
    label: str
    start: datetime
    end: datetime


def parse_period(kind: PeriodKind, text: str | None, zone: str, now: datetime) -> Period:
    """`2026-W47` (ISO week) or `2026-11`, in the team's time zone; None means the period containing now."""
    tz = ZoneInfo(zone)
    if text is None:
        local = now.astimezone(tz).date()
        iso = local.isocalendar()
        text = f"{iso.year}-W{iso.week:02d}" if kind == "weekly" else f"{local.year}-{local.month:02d}"
    if kind == "weekly":
        match = WEEK.match(text)
        if not match:
            raise ValueError(f"--period {text!r}: a weekly period looks like 2026-W47")
        try:
            first = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise ValueError(f"--period {text!r}: no such ISO week") from None
        last = first + timedelta(days=7)
    else:
        match = MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"--period {text!r}: a monthly period looks like 2026-11")
        first = date(int(match.group(1)), int(match.group(2)), 1)
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last, datetime.min.time(), tzinfo=tz)
    return Period(kind=kind, label=text, start=start, end=end)


class IncidentRow(BaseModel):
    id: str
    severity: Severity
    service: str
    title: str
    started_at: datetime
    phase: str
    root_cause: str | None
    mttd: timedelta | None
    mtta: timedelta | None
    mttr: timedelta | None
    recurrence_of: str | None
    compliance: float | None
    postmortem: str


class StepRate(BaseModel):
    step: str
    done: int
    decided: int

    @property
    def rate(self) -> float | None:
        return self.done / self.decided if self.decided else None


class WeekCount(BaseModel):
    week: str
    count: int


class Report(BaseModel):
    period: Period
    timezone: str
    generated_at: datetime
    incidents: list[IncidentRow]
    drills_excluded: int
    by_severity: dict[str, int]
    by_service: dict[str, int]
    by_type: dict[str, int]
    severity_stats: list[metrics.SeverityStats]
    mtbf_by_service: dict[str, timedelta | None]
    mtbf: timedelta | None
    recurrences: list[metrics.Recurrence]
    recurrence_rate: float | None
    checks: list[metrics.MetricCheck]
    postmortems_required: int
    postmortems_on_time: int
    postmortems_late: int
    postmortems_missed: list[str]
    postmortems_pending: int
    actions_open: int
    actions_overdue: list[ActionItem]
    actions_done: int
    actions_verified: int = 0  # verified in the period (done → verified with evidence)
    actions_unverified: int = 0  # done, not verified yet (any time)
    compliance_steps: list[StepRate]
    compliance_mean: float | None
    weekly_counts: list[WeekCount]
    periodic_checks: list[CheckStatus] = []  # each periodic check's periods overlapping this one


def build_report(policy: Policy, period: Period, history: list[IncidentRecord], drills_in_period: int,
                 snapshots: dict[str, IncidentState], postmortems: list[PostmortemRecord],
                 actions: list[ActionItem], now: datetime, periodic: list[CheckStatus] = ()) -> Report:
    """`history`: every real incident that started before the period's end (older ones feed MTBF and
    recurrence); the report covers those that started inside the period."""
    zone = policy.incident.timezone
    records = [r for r in history if period.start <= r.started_at < period.end]
    window = policy.incident.learning.recurrence_window
    found = metrics.recurrences(records, history, window)
    stats = metrics.by_severity(records)
    per_service, overall = metrics.mtbf(records, history)
    rate = metrics.recurrence_rate(records, found)
    by_pm = {p.incident_id: p for p in postmortems}

    rows, scores, step_rates = [], [], {}
    for r in records:
        state = snapshots.get(r.id)
        score = None
        if state is not None and not state.phase.is_open:
            result = compliance(policy, state, by_pm.get(r.id), now)
            score = result.score
            for step in result.steps:
                key = _step_group(step.item)
                rate_ = step_rates.setdefault(key, StepRate(step=key, done=0, decided=0))
                if step.ok is not None:
                    rate_.decided += 1
                    rate_.done += int(step.ok)
        if score is not None:
            scores.append(score)
        pm = by_pm.get(r.id)
        rows.append(IncidentRow(
            id=r.id, severity=r.severity, service=r.service, title=r.title, started_at=r.started_at,
            phase=r.phase.value, root_cause=r.root_cause_category,
            mttd=_one(metrics.time_to_detect([r])), mtta=_one(metrics.time_to_acknowledge([r])),
            mttr=_one(metrics.time_to_resolve([r])), recurrence_of=found[r.id].of if r.id in found else None,
            compliance=score, postmortem=_pm_status(pm, now),
        ))

    period_pms = [by_pm[r.id] for r in records if r.id in by_pm]
    on_time = [p for p in period_pms if p.on_time(now) is True]
    late = [p for p in period_pms if p.published_at and p.on_time(now) is False]
    missed = [p.incident_id for p in period_pms if not p.published_at and p.on_time(now) is False]
    today = now.astimezone(ZoneInfo(zone)).date()
    return Report(
        period=period, timezone=zone, generated_at=now, incidents=rows, drills_excluded=drills_in_period,
        by_severity={s.value: stats[s].count for s in Severity},
        by_service=dict(Counter(r.service for r in records).most_common()),
        by_type=dict(Counter(r.root_cause_category or "uncategorised" for r in records).most_common()),
        severity_stats=list(stats.values()), mtbf_by_service=per_service, mtbf=overall,
        recurrences=list(found.values()), recurrence_rate=rate,
        checks=metrics.target_checks(policy, stats, overall, rate),
        postmortems_required=len(period_pms), postmortems_on_time=len(on_time), postmortems_late=len(late),
        postmortems_missed=missed, postmortems_pending=len(period_pms) - len(on_time) - len(late) - len(missed),
        actions_open=sum(1 for a in actions if a.status == "open"),
        actions_overdue=[a for a in actions if a.overdue(today)],
        actions_done=sum(1 for a in actions if a.done_at and period.start <= a.done_at < period.end),
        actions_verified=sum(1 for a in actions if a.verified_at and period.start <= a.verified_at < period.end),
        actions_unverified=sum(1 for a in actions if a.status == "done" and not a.verified),
        compliance_steps=sorted(step_rates.values(), key=lambda s: _STEP_ORDER.index(s.step)),
        compliance_mean=sum(scores) / len(scores) if scores else None,
        weekly_counts=_weekly_counts(history, period, zone), periodic_checks=list(periodic),
    )


_STEP_ORDER = ["IC named on time", "first-15-minutes items on time", "comms cadence kept", "postmortem within deadline"]


def _step_group(item: str) -> str:
    return {"ic-named": _STEP_ORDER[0], "comms": _STEP_ORDER[2], "postmortem": _STEP_ORDER[3]}.get(item, _STEP_ORDER[1])


def _one(values: list[timedelta]) -> timedelta | None:
    return values[0] if values else None


def _pm_status(pm: PostmortemRecord | None, now: datetime) -> str:
    if pm is None:
        return "-"
    if pm.published_at:
        return "on time" if pm.on_time(now) else "late"
    return "MISSED" if pm.on_time(now) is False else "draft"


def _week_label(at: datetime, zone: str) -> str:
    iso = at.astimezone(ZoneInfo(zone)).date().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _weekly_counts(history: list[IncidentRecord], period: Period, zone: str) -> list[WeekCount]:
    """Incidents per ISO week: the 8 weeks up to a weekly period, or the weeks of a month."""
    first = period.start - timedelta(weeks=7) if period.kind == "weekly" else period.start
    weeks, cursor = [], first
    while cursor < period.end:
        weeks.append(_week_label(cursor, zone))
        cursor += timedelta(weeks=1)
    counts = Counter(_week_label(r.started_at, zone) for r in history if first <= r.started_at < period.end)
    return [WeekCount(week=w, count=counts.get(w, 0)) for w in dict.fromkeys(weeks)]


def previous_period_label(kind: PeriodKind, now: datetime, zone: str) -> str:
    """The period that just ended: last ISO week on a Monday run, last month on the 1st."""
    local = now.astimezone(ZoneInfo(zone)).date()
    if kind == "weekly":
        iso = (local - timedelta(days=7)).isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    last_month = local.replace(day=1) - timedelta(days=1)
    return f"{last_month.year}-{last_month.month:02d}"
