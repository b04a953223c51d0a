"""What an R1 crash run found (bench/chaos/crash.py, docs/reliability.md R1): the report, and when a worker was up,
which decides from when an escalation's lateness is measured."""

from dataclasses import asdict, dataclass, field

from bench.stats import percentile


@dataclass
class CrashReport:
    incidents: int
    kills: int
    lost_incidents: list[str] = field(default_factory=list)
    expected_pages: int = 0
    delivered_pages: int = 0
    missing_pages: list[str] = field(default_factory=list)
    duplicate_pages: list[str] = field(default_factory=list)
    updates_not_taken: list[str] = field(default_factory=list)  # acknowledge/resolve given up after 90 s
    acknowledged: int = 0
    resolved: int = 0
    min_uptime_seconds: float = 0.0
    worker_restart_seconds_max: float = 0.0
    worker_uptime_before_kill_seconds_min: float | None = None
    catch_up_seconds: list[float] = field(default_factory=list)  # per restart, see _catch_up
    kills_before_caught_up: int = 0
    lateness_seconds: list[float] = field(default_factory=list)  # escalation fired, after the worker was back
    delivery_lateness_seconds: list[float] = field(default_factory=list)  # page recorded, idem
    pages_while_worker_down: int = 0
    escalations_due_in_kill_grace: int = 0  # measured from the next ready, see KILL_GRACE_SECONDS
    late_escalations: list[str] = field(default_factory=list)  # over GOAL_SECONDS: incident/rule, how late
    duration_seconds: float = 0.0
    workdir: str = ""  # the dev server's database, worker log and recorded pages, kept for a look afterwards

    @property
    def max_lateness(self) -> float:
        return max(self.lateness_seconds, default=0.0)

    @property
    def ok(self) -> bool:
        return not (self.lost_incidents or self.missing_pages or self.duplicate_pages or self.updates_not_taken)

    def summary(self) -> dict:
        return {
            **{k: v for k, v in asdict(self).items() if not k.endswith(("lateness_seconds", "catch_up_seconds"))},
            "catch_up": _spread(self.catch_up_seconds),
            "escalation_lateness": _spread(self.lateness_seconds),
            "page_delivery_lateness": _spread(self.delivery_lateness_seconds),
            "ok": self.ok,
        }


GOAL_SECONDS = 2.0  # R1: every escalation at its time ± 2 s after recovery


def _spread(values: list[float]) -> dict | None:
    """Seconds: count, min, p50, p99 (the benchmarks' nearest-rank percentile), max, and how many over the goal."""
    if not values:
        return None
    return {"n": len(values), "min": round(min(values), 3), "p50": round(percentile(values, 50), 3),
            "p99": round(percentile(values, 99), 3), "max": round(max(values), 3),
            "over_goal": sum(v > GOAL_SECONDS for v in values)}


# An escalation due less than the goal before a kill and not fired by then counts as due with no worker up:
# its lateness is measured from the restarted worker being ready (docs/reliability.md R1).
KILL_GRACE_SECONDS = GOAL_SECONDS


class UpTimes:
    """When a worker was polling: [ready, killed) intervals. An escalation due while none was up, or less than
    KILL_GRACE_SECONDS before the worker was killed and not done by then, is measured from the moment the next
    one became ready ("after recovery")."""

    def __init__(self) -> None:
        self.intervals: list[list[float]] = []

    def up(self, at: float) -> None:
        self.intervals.append([at, float("inf")])

    def down(self, at: float) -> None:
        self.intervals[-1][1] = at

    def in_kill_grace(self, due: float, done: float) -> bool:
        return any(max(ready, killed - KILL_GRACE_SECONDS) <= due < killed <= done for ready, killed in self.intervals)

    def effective_due(self, due: float, done: float) -> tuple[float, bool]:
        for ready, killed in self.intervals:
            if ready <= due < killed and not self.in_kill_grace(due, done):
                return due, True
        later = [ready for ready, _ in self.intervals if ready > due]
        return (min(later) if later else due), False
