"""The timeline lines alerts write: one per change up to a few per notification, then one summary line; and the
oldest alert lines give way once an incident has many (domain/common/limits.py), so a flapping or hostile sender
cannot grow the timeline without bound. Phase changes, pages and decisions are never dropped."""

from datetime import datetime

from domain.common.limits import ALERT_LINES_KEPT_AT_START, ALERT_LINES_PER_INCIDENT, ALERT_LINES_PER_NOTIFICATION, clip
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from domain.incident.state import Alert, IncidentState


def describe(alert: Alert) -> str:
    name = alert.labels.get("alertname", alert.fingerprint)
    summary = alert.annotations.get("summary")
    return clip(f"{name}" + (f": {summary}" if summary else ""), 300)


class AlertLines:
    """Collects one notification's alert lines for the incident's timeline."""

    def __init__(self, state: IncidentState, now: datetime, actor: str):
        self.state, self.now, self.actor = state, now, actor
        self.written = 0
        self.unwritten: dict[str, int] = {}  # status → changes not written out one by one

    def changed(self, alert: Alert) -> None:
        self._line(alert.status, f"{alert.status}: {describe(alert)}")

    def after_resolution(self, alert: Alert, phase: Phase) -> None:
        self._line(alert.status, f"firing again after the incident was {phase.value}: {describe(alert)}")

    def severity(self, old: Severity, new: Severity, alert: Alert) -> None:
        text = f"severity {old.value} → {new.value} (alert {describe(alert)})"
        self.state.note(self.now, "decision", self.actor, text)

    def hidden(self, count: int) -> None:
        text = (f"+{count:,} more alerts of this group not shown (left out by the sender or over the size limits); "
                "the incident will not mitigate itself while they may fire") if count else \
            "every alert of the group is shown again"
        self.state.note(self.now, "alert", self.actor, text)

    def close(self) -> None:
        """The summary line for what was not written one by one, then the oldest lines give way if need be."""
        if self.unwritten:
            counts = ", ".join(f"{n:,} {status}" for status, n in sorted(self.unwritten.items()))
            self.state.note(self.now, "alert", self.actor,
                            f"… and {sum(self.unwritten.values()):,} more alert changes ({counts})")
        self._give_way()

    def _line(self, status: str, text: str) -> None:
        if self.written < ALERT_LINES_PER_NOTIFICATION:
            self.state.note(self.now, "alert", self.actor, text)
            self.written += 1
        else:
            self.unwritten[status] = self.unwritten.get(status, 0) + 1

    def _give_way(self) -> None:
        timeline = self.state.timeline
        alert_lines = [i for i, entry in enumerate(timeline) if entry.kind == "alert"]
        excess = len(alert_lines) - ALERT_LINES_PER_INCIDENT
        if excess <= 0:
            return
        dropped = set(alert_lines[ALERT_LINES_KEPT_AT_START:ALERT_LINES_KEPT_AT_START + excess])
        self.state.timeline = [entry for i, entry in enumerate(timeline) if i not in dropped]
        self.state.alert_lines_omitted += len(dropped)
