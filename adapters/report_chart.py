"""The review's chart (matplotlib, Agg backend: no display needed): MTTR per severity against its
target, and incidents per week."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from domain.learning.reports import Report  # noqa: E402
from domain.policy.model import Policy  # noqa: E402


def render_chart(report: Report, policy: Policy) -> bytes:
    """PNG bytes. Severities without incidents show no bar; a target shows as a red tick."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    try:
        labels = [s.severity.value for s in report.severity_stats]
        values = [s.mttr.total_seconds() / 60 if s.mttr else 0 for s in report.severity_stats]
        bars = left.bar(labels, values, color=["#b71c1c", "#e53935", "#fb8c00", "#1e88e5"])
        for bar, stats in zip(bars, report.severity_stats, strict=True):
            target = policy.severity(stats.severity).targets.mttr
            if target is not None:
                x = bar.get_x()
                left.hlines(target.total_seconds() / 60, x - 0.05, x + bar.get_width() + 0.05, colors="red",
                            linestyles="--", label="target" if stats.severity.rank == 0 else None)
            if stats.mttr:
                left.annotate(f"{values[labels.index(stats.severity.value)]:.0f}m (n={stats.resolved})",
                              (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                              fontsize=8)
        left.set_title("MTTR per severity (minutes) vs target")
        left.set_ylabel("minutes")
        left.legend(loc="upper right", fontsize=8)

        weeks = [w.week for w in report.weekly_counts]
        right.bar(weeks, [w.count for w in report.weekly_counts], color="#546e7a")
        right.set_title("Incidents per week")
        right.tick_params(axis="x", labelrotation=45, labelsize=8)
        right.yaxis.get_major_locator().set_params(integer=True)
        figure.suptitle(f"Incident review {report.period.label}")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
