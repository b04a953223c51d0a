"""Incident metrics as pure functions over ledger rows (seed 000 "인시던트 메트릭 및 KPI").

- MTTD = detected − started (impact start: first alert `startsAt` or the declared start)
- MTTA = acknowledged − detected (unacknowledged incidents are left out)
- MTTR = resolved − detected, as the seed defines it (open incidents are left out)
- MTBF = mean gap between consecutive incident starts of the same service; each incident in the period
  is measured against the previous one of its service, even if that one began before the period. A
  service with a single incident has no MTBF.
- Recurrence: an incident whose root-cause category, or alertname + service, matches an incident that
  started within the recurrence window before it. Rate = recurring incidents / incidents.
Drills never reach these functions: callers pass only real incidents (the ledger leaves drills out)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.incident.records import IncidentRecord
from domain.incident.severity import Severity
from domain.policy.model import Policy


def mean(values: Iterable[timedelta]) -> timedelta | None:
    values = list(values)
    if not values:
        return None
    return sum(values, timedelta(0)) / len(values)


def _durations(records: Iterable[IncidentRecord], since: Callable, until: Callable) -> list[timedelta]:
    out = []
    for r in records:
        start, end = since(r), until(r)
        if start is not None and end is not None:
            out.append(max(end - start, timedelta(0)))
    return out


def time_to_detect(records: Iterable[IncidentRecord]) -> list[timedelta]:
    return _durations(records, lambda r: r.started_at, lambda r: r.detected_at)


def time_to_acknowledge(records: Iterable[IncidentRecord]) -> list[timedelta]:
    return _durations(records, lambda r: r.detected_at, lambda r: r.acknowledged_at)


def time_to_resolve(records: Iterable[IncidentRecord]) -> list[timedelta]:
    return _durations(records, lambda r: r.detected_at, lambda r: r.resolved_at)


class SeverityStats(BaseModel):
    severity: Severity
    count: int
    resolved: int
    acknowledged: int
    mttd: timedelta | None
    mtta: timedelta | None
    mttr: timedelta | None


def by_severity(records: list[IncidentRecord]) -> dict[Severity, SeverityStats]:
    """Every severity, including ones without incidents (count 0, no means)."""
    stats = {}
    for severity in Severity:
        group = [r for r in records if r.severity == severity]
        stats[severity] = SeverityStats(
            severity=severity, count=len(group),
            resolved=sum(1 for r in group if r.resolved_at), acknowledged=sum(1 for r in group if r.acknowledged_at),
            mttd=mean(time_to_detect(group)), mtta=mean(time_to_acknowledge(group)),
            mttr=mean(time_to_resolve(group)),
        )
    return stats


def mtbf_gaps(records: list[IncidentRecord], history: list[IncidentRecord]) -> dict[str, list[timedelta]]:
    """Per service, the gap from each incident in `records` back to the previous start of that service
    in `history` (which may reach before the period)."""
    starts: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for r in {r.id: r for r in [*history, *records]}.values():
        starts[r.service].append((r.started_at, r.id))
    for service in starts:
        starts[service].sort()
    gaps: dict[str, list[timedelta]] = defaultdict(list)
    for r in records:
        earlier = [at for at, id_ in starts[r.service] if (at, id_) < (r.started_at, r.id)]
        if earlier:
            gaps[r.service].append(r.started_at - earlier[-1])
        else:
            gaps.setdefault(r.service, [])
    return dict(gaps)


def mtbf(records: list[IncidentRecord], history: list[IncidentRecord]) -> tuple[dict[str, timedelta | None],
                                                                                 timedelta | None]:
    """(per service, overall); overall is the mean over every gap of every service."""
    gaps = mtbf_gaps(records, history)
    per_service = {service: mean(values) for service, values in sorted(gaps.items())}
    return per_service, mean(g for values in gaps.values() for g in values)


class Recurrence(BaseModel):
    incident_id: str
    of: str
    reason: str


def find_recurrence(record: IncidentRecord, history: Iterable[IncidentRecord],
                    window: timedelta) -> Recurrence | None:
    """The most recent earlier incident in the window that shares a root cause or alert + service."""
    candidates = sorted(
        (h for h in history
         if not h.drill and record.started_at - window <= h.started_at
         and (h.started_at, h.id) < (record.started_at, record.id)),
        key=lambda h: (h.started_at, h.id), reverse=True,
    )
    cause = (record.root_cause_category or "").strip().lower()
    for h in candidates:
        if cause and cause == (h.root_cause_category or "").strip().lower():
            return Recurrence(incident_id=record.id, of=h.id, reason=f"root-cause category {cause}")
        if record.alertname and record.alertname == h.alertname and record.service == h.service:
            return Recurrence(incident_id=record.id, of=h.id,
                              reason=f"alert {record.alertname} on {record.service}")
    return None


def recurrences(records: list[IncidentRecord], history: list[IncidentRecord],
                window: timedelta) -> dict[str, Recurrence]:
    pool = list({r.id: r for r in [*history, *records]}.values())
    found = {}
    for r in records:
        match = find_recurrence(r, pool, window)
        if match:
            found[r.id] = match
    return found


def recurrence_rate(records: list[IncidentRecord], found: dict[str, Recurrence]) -> float | None:
    if not records:
        return None
    return sum(1 for r in records if r.id in found) / len(records)


class MetricCheck(BaseModel):
    metric: str
    scope: str
    value: float | timedelta | None
    target: float | timedelta | None
    comparison: str
    passed: bool | None  # None: no data, or no target


def _check(metric: str, scope: str, value, target, at_most: bool) -> MetricCheck:
    passed = None
    if value is not None and target is not None:
        passed = value <= target if at_most else value >= target
    return MetricCheck(metric=metric, scope=scope, value=value, target=target,
                       comparison="≤" if at_most else "≥", passed=passed)


def target_checks(policy: Policy, stats: dict[Severity, SeverityStats], overall_mtbf: timedelta | None,
                  rate: float | None) -> list[MetricCheck]:
    """Every metric against the policy's targets: MTTD/MTTA/MTTR per severity that has a target, MTBF
    (at least), recurrence rate (below)."""
    checks = []
    for metric in ("mttd", "mtta", "mttr"):
        for severity, s in stats.items():
            target = getattr(policy.severity(severity).targets, metric)
            if target is not None:
                checks.append(_check(metric.upper(), severity.value, getattr(s, metric), target, at_most=True))
    learning = policy.incident.learning
    checks.append(_check("MTBF", "per service", overall_mtbf, learning.targets.mtbf, at_most=False))
    recurrence = _check("Recurrence rate", "all", rate, learning.targets.recurrence_rate, at_most=True)
    if rate is not None:  # the seed's target is "below 10 %"
        recurrence.passed = rate < learning.targets.recurrence_rate
        recurrence.comparison = "<"
    checks.append(recurrence)
    return checks
