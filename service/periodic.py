"""Periodic checks as every client sees them (docs/learning-loop.md, "Periodic checks"): record that a check was
done for a period, and each check's status for the current and the previous period; the review reports and the
reminder workflow read the same statuses."""

from datetime import UTC, datetime

from pydantic import BaseModel

from adapters.stores.ledger import Ledger
from domain.incident.severity import Tier
from domain.learning import periodic as pc
from domain.learning.periodic_policy import PeriodicCheck
from domain.oncall.rotation import Override, holder
from domain.oncall.training import TrainingRecord
from domain.policy.model import Policy
from service.errors import ServiceError


class CheckOverview(BaseModel):
    item: str
    title: str
    every: str
    owner: Tier
    owner_oncall: str | None  # who holds the owner tier now
    current: pc.CheckStatus
    previous: pc.CheckStatus


def check(policy: Policy, item: str) -> PeriodicCheck:
    checks = policy.incident.learning.periodic_checks
    if item not in checks:
        raise ServiceError(f"unknown periodic check {item!r} (the policy's checks: {', '.join(checks) or 'none'})")
    return checks[item]


def _zone(policy: Policy) -> str:
    return policy.incident.timezone


def record(ledger: Ledger, policy: Policy, *, item: str, by: str, recorded_by: str, period: str | None = None,
           notes: str = "", at: datetime | None = None) -> pc.Completion:
    """Store that `by` did `item` for `period` (default: the period containing `at`, itself default now). A time
    in the future, before the period began, or a period already recorded is refused."""
    chosen = check(policy, item)
    now = datetime.now(UTC)
    completed_at = at or now
    if completed_at.tzinfo is None:
        raise ServiceError("the completion time needs a UTC offset or zone, e.g. 2026-12-01T14:00+09:00")
    if completed_at > now:
        raise ServiceError(f"the completion time {completed_at.isoformat()} lies in the future")
    try:
        span = (pc.parse_label(chosen.every, period, _zone(policy)) if period
                else pc.period_at(chosen.every, completed_at, _zone(policy)))
    except ValueError as exc:
        raise ServiceError(f"{item}: {exc}") from None
    if completed_at < span.start:
        raise ServiceError(f"{item} {span.label} begins {span.start.isoformat()}: it cannot have been done at "
                           f"{completed_at.isoformat()}")
    if not by.strip():
        raise ServiceError("say who did it (by)")
    if by.strip() not in policy.oncall.people:
        raise ServiceError(f"{by.strip()!r} is not listed under people in the on-call policy "
                           f"(known: {', '.join(policy.oncall.people)})")
    try:
        entry = pc.Completion(item=item, period=span.label, completed_at=completed_at.astimezone(UTC),
                              completed_by=by.strip(),
                              notes=notes.strip(), recorded_by=recorded_by.strip() or by.strip(), recorded_at=now)
    except ValueError as exc:
        raise ServiceError(str(exc).splitlines()[0]) from None
    if not ledger.add_periodic(entry.model_dump()):
        [first] = ledger.periodic(item, [span.label])
        raise ServiceError(f"{item} {span.label} is already recorded as done by {first['completed_by']} at "
                           f"{first['completed_at'].isoformat()}")
    return entry


def completions(ledger: Ledger, item: str | None = None, periods: list[str] | None = None) -> list[pc.Completion]:
    return [pc.Completion.model_validate(row) for row in ledger.periodic(item, periods)]


def drills(ledger: Ledger) -> list[TrainingRecord]:
    return [TrainingRecord.model_validate(row) for row in ledger.training() if row["kind"] == "drill"]


def status(ledger: Ledger, policy: Policy, item: str, period: str | None, now: datetime) -> pc.CheckStatus:
    """One check's status for `period` (default: the one containing `now`)."""
    chosen = check(policy, item)
    try:
        span = (pc.parse_label(chosen.every, period, _zone(policy)) if period
                else pc.period_at(chosen.every, now, _zone(policy)))
    except ValueError as exc:
        raise ServiceError(f"{item}: {exc}") from None
    needs_drills = chosen.done_when == "drill"
    return pc.status_of(item, chosen, span, completions(ledger, item, [span.label]),
                        drills(ledger) if needs_drills else [], now)


def overview(ledger: Ledger, policy: Policy, now: datetime) -> list[CheckOverview]:
    """Every check with its current and previous period's status and the owner tier's person on call."""
    done, drilled = completions(ledger), drills(ledger)
    overrides = [Override(tier=r["tier"], who=r["who"], start=r["starts_at"], end=r["ends_at"], reason=r["reason"])
                 for r in ledger.overrides()]
    out = []
    for item, chosen in policy.incident.learning.periodic_checks.items():
        current = pc.period_at(chosen.every, now, _zone(policy))
        previous = pc.previous_period(current, _zone(policy))
        out.append(CheckOverview(
            item=item, title=chosen.title, every=chosen.every, owner=chosen.owner,
            owner_oncall=holder(policy.oncall, chosen.owner, now, overrides),
            current=pc.status_of(item, chosen, current, done, drilled, now),
            previous=pc.status_of(item, chosen, previous, done, drilled, now)))
    return out

