"""What the outbox hands to Temporal next for one alert group: its queued rows, oldest first, become one
delivery. Pure: no I/O.

Consecutive snapshots coalesce into one: the workflow keeps every fingerprint it has seen and each alert's
status from the latest snapshot that had it (`domain.alerts.handling.merge_snapshot`), so one snapshot with the union
of the alerts — each as the newest row had it — leaves the incident with exactly the alerts and statuses the
rows one by one would have. Only the intermediate steps are skipped (a flap inside the queue leaves no
timeline note). Two exceptions keep meaning intact: a decision (PagerDuty acknowledge/resolve) is delivered
on its own, in order; and if some row fired but the union is all resolved, the rows up to the last firing
one go first, so the incident is opened (and then mitigated) rather than never opened at all."""

from dataclasses import dataclass

from domain.incident.decisions import DECISION_ADAPTER, Decision
from domain.incident.state import Alert
from gateway.mapping import AlertGroup
from gateway.outbox import OutboxRow

SNAPSHOT, DECISION = "snapshot", "decision"


@dataclass(frozen=True)
class Batch:
    key: str
    rows: list[OutboxRow]
    group: AlertGroup | None = None
    decision: Decision | None = None

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.rows]


def next_batch(rows: list[OutboxRow]) -> Batch:
    """The next delivery for one key from its rows, oldest first (at least one)."""
    head = rows[0]
    if head.kind == DECISION:
        return Batch(head.key, [head], decision=DECISION_ADAPTER.validate_json(head.body))
    run: list[OutboxRow] = []
    for row in rows:
        if row.kind != SNAPSHOT:
            break
        run.append(row)
    groups = [AlertGroup.model_validate_json(row.body) for row in run]
    merged = merge(groups)
    if not merged.firing and any(g.firing for g in groups):
        last_firing = max(i for i, g in enumerate(groups) if g.firing)
        run, merged = run[:last_firing + 1], merge(groups[:last_firing + 1])
    return Batch(head.key, run, group=merged)


def merge(groups: list[AlertGroup]) -> AlertGroup:
    """The newest group with the union of all alerts, each as the newest group that had it."""
    alerts: dict[str, Alert] = {}
    for group in groups:
        for alert in group.alerts:
            alerts[alert.fingerprint] = alert
    if len(groups) == 1:
        return groups[0]
    newest = groups[-1]  # validated again: the union is cut to the limits like any notification
    return AlertGroup.model_validate({**dict(newest), "alerts": list(alerts.values())})
