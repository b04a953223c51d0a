"""The weekly/monthly review (domain/learning/reports.py) as a Markdown document. Titles, services, owners, root-cause
categories and alert names come from senders and people: every one goes through `markdown_text`, so none can
add HTML, break a table row or cell, or carry terminal escapes into a file someone `cat`s."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from domain.common.durations import format_duration
from domain.common.markdown import markdown_code as code
from domain.common.markdown import markdown_text as text
from domain.learning.reports import Report


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds < 60:
            return f"{seconds:.0f}s"
        if seconds >= 86400:
            return f"{seconds / 86400:.1f}d"
        if seconds < 3600:
            return format_duration(timedelta(seconds=round(seconds)))
        return format_duration(timedelta(minutes=round(seconds / 60)))
    if isinstance(value, float):
        return f"{value:.0%}"
    return text(str(value))


def _verdict(passed: bool | None) -> str:
    return {True: "✅ pass", False: "❌ fail", None: "– no data"}[passed]


def render_markdown(report: Report, chart_file: str | None = None) -> str:
    p, zone = report.period, ZoneInfo(report.timezone)
    title = "Weekly" if p.kind == "weekly" else "Monthly"
    out = [
        f"# {title} incident review — {text(p.label)}",
        "",
        f"Period {p.start:%Y-%m-%d} – {(p.end - timedelta(days=1)):%Y-%m-%d} ({text(report.timezone)}); "
        f"generated {report.generated_at.astimezone(zone):%Y-%m-%d %H:%M}. "
        f"{len(report.incidents)} incident(s); drills excluded: {report.drills_excluded}.",
        "",
    ]
    if chart_file:
        out += [f"![MTTR per severity against target, incidents per week]({chart_file})", ""]
    out += ["## Metrics against targets", "", "| Metric | Scope | Value | Target | Result |", "|---|---|---|---|---|"]
    for c in report.checks:
        target = f"{c.comparison} {fmt(c.target)}"  # the policy's own <, ≤, ≥
        out.append(f"| {text(c.metric)} | {text(c.scope)} | {fmt(c.value)} | {target} | {_verdict(c.passed)} |")
    out += ["", "## Incidents by severity", "", "| Severity | Count | Resolved | MTTD | MTTA | MTTR |",
            "|---|---|---|---|---|---|"]
    for s in report.severity_stats:
        out.append(f"| {s.severity.value} | {s.count} | {s.resolved} | {fmt(s.mttd)} | {fmt(s.mtta)} | {fmt(s.mttr)} |")
    out += ["", "## By service", "", "| Service | Count | MTBF |", "|---|---|---|"]
    for service, count in report.by_service.items():
        out.append(f"| {text(service)} | {count} | {fmt(report.mtbf_by_service.get(service))} |")
    out += ["", "## By type (root-cause category)", "", "| Type | Count |", "|---|---|"]
    out += [f"| {text(kind)} | {count} |" for kind, count in report.by_type.items()]
    out += ["", f"## Recurrence: {fmt(report.recurrence_rate)}", ""]
    out += [f"- {code(r.incident_id)} recurs {code(r.of)} ({text(r.reason)})" for r in report.recurrences] or ["- none"]
    out += ["", "## Postmortems", "",
            f"- required: {report.postmortems_required} · on time: {report.postmortems_on_time} · "
            f"late: {report.postmortems_late} · pending: {report.postmortems_pending} · "
            f"**missed deadline: {len(report.postmortems_missed)}**"]
    out += [f"  - ❗ {code(i)}: deadline missed, still unpublished" for i in report.postmortems_missed]
    out += ["", "## Action items", "",
            f"- open: {report.actions_open} · overdue: {len(report.actions_overdue)} · done in period: "
            f"{report.actions_done}",
            f"- verified in period: {report.actions_verified} · done, not verified: {report.actions_unverified}"]
    out += [f"  - overdue #{a.id} ({a.term}) {text(a.title)} — @{text(a.owner)}, due {a.due}"
            for a in report.actions_overdue]
    out += ["", f"## Procedure compliance: {fmt(report.compliance_mean)}", "",
            "| Step | Done on time | Rate |", "|---|---|---|"]
    out += [f"| {s.step} | {s.done}/{s.decided} | {fmt(s.rate)} |" for s in report.compliance_steps]
    out += ["", "## Incidents", "",
            "| Incident | Sev | Service | Started | MTTD | MTTA | MTTR | Phase | Postmortem | Compliance | Recurs |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report.incidents:
        out.append(
            f"| {code(r.id)} {text(r.title)} | {r.severity.value} | {text(r.service)} |"
            f" {r.started_at.astimezone(zone):%m-%d %H:%M} | {fmt(r.mttd)} | {fmt(r.mtta)} | {fmt(r.mttr)} |"
            f" {text(r.phase)} | {text(r.postmortem)} | {fmt(r.compliance)} |"
            f" {text(r.recurrence_of or '–')} |")
    if not report.incidents:
        out.append("| no incidents in this period | | | | | | | | | | |")
    out += ["", "## Trend: incidents per week", "", "| Week | Incidents |", "|---|---|"]
    out += [f"| {w.week} | {w.count} |" for w in report.weekly_counts]
    out += _periodic(report, zone)
    return "\n".join(out) + "\n"


_MARK = {"done": "✅ done", "due": "⏳ due", "missed": "❌ missed", "upcoming": "upcoming"}


def _periodic(report: Report, zone: ZoneInfo) -> list[str]:
    """Seed 000's 정기 점검 항목 whose period overlaps the review's: done (who, when, notes) or not."""
    out = ["", "## Periodic checks", "", "| Check | Period | Status | By | When | Notes |", "|---|---|---|---|---|---|"]
    for c in report.periodic_checks:
        state = _MARK[c.status] + (" (late)" if c.late else "") + (" (drill)" if c.via == "drill" else "")
        if c.status == "due":
            state += f" by {(c.end - timedelta(days=1)).astimezone(zone):%Y-%m-%d}"
        when = f"{c.at.astimezone(zone):%Y-%m-%d %H:%M}" if c.at else "–"
        out.append(f"| {text(c.title)} ({code(c.item)}) | {text(c.period)} | {state} | {text(c.by or '–')} |"
                   f" {when} | {text(c.notes or '–')} |")
    if not report.periodic_checks:
        out.append("| no periodic checks in the policy | | | | | |")
    return out
