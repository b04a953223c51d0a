"""Writing a review: read the ledger, build the report (pure), render Markdown and the PNG chart into a
directory. Used by `incident report` and by the weekly report workflow."""

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from adapters.report_chart import render_chart
from adapters.stores.ledger import Ledger
from domain.learning.periodic import Completion, statuses_in
from domain.learning.report_markdown import render_markdown
from domain.learning.reports import Period, Report, build_report
from domain.oncall.training import TrainingRecord
from domain.policy.model import Policy


class WrittenReport(BaseModel):
    report: Report
    markdown: str
    markdown_path: str
    chart_path: str


def gather_report(ledger: Ledger, policy: Policy, period: Period, now: datetime) -> Report:
    history = ledger.incidents(until=period.end)
    drills = [r for r in ledger.incidents(since=period.start, until=period.end, include_drills=True) if r.drill]
    in_period = [r.id for r in history if r.started_at >= period.start]
    snapshots = {i: s for i in in_period if (s := ledger.snapshot(i)) is not None}
    periodic = statuses_in(policy.incident.learning.periodic_checks, policy.incident.timezone,
                           [Completion.model_validate(r) for r in ledger.periodic()],
                           [TrainingRecord.model_validate(r) for r in ledger.training() if r["kind"] == "drill"],
                           period.start, period.end, now)
    return build_report(policy, period, history, len(drills), snapshots, ledger.postmortems(in_period),
                        ledger.actions(), now, periodic)


def write_report(ledger: Ledger, policy: Policy, period: Period, out_dir: Path, now: datetime) -> WrittenReport:
    report = gather_report(ledger, policy, period, now)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"incident-review-{period.label}"
    chart = out_dir / f"{stem}.png"
    chart.write_bytes(render_chart(report, policy))
    markdown = render_markdown(report, chart.name)
    path = out_dir / f"{stem}.md"
    path.write_text(markdown, encoding="utf-8")
    return WrittenReport(report=report, markdown=markdown, markdown_path=str(path), chart_path=str(chart))
