"""Rich output for people (machines get --json)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.panel import Panel
from rich.table import Table

from cli.common import console
from domain.incident import IncidentState

SEVERITY_STYLE = {"sev0": "bold white on red", "sev1": "bold red", "sev2": "yellow", "sev3": "cyan"}


def _zone() -> ZoneInfo:
    from activities.policy_loader import PolicyError, load_policy
    from settings import get_settings

    try:
        return ZoneInfo(load_policy(get_settings().policy_dir).incident.timezone)
    except (PolicyError, OSError):
        return ZoneInfo("UTC")


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%m-%d %H:%M:%S") if at else "-"


def render_list(states: list[IncidentState]) -> None:
    if not states:
        console.print("No incidents.")
        return
    zone = _zone()
    table = Table(title=f"Incidents ({zone.key})")
    for column in ("id", "sev", "phase", "service", "title", "detected", "ack by", "IC"):
        table.add_column(column)
    for s in states:
        table.add_row(s.id + (" [drill]" if s.drill else ""), f"[{SEVERITY_STYLE[s.severity.value]}]{s.severity.value}",
                      s.phase.value, s.service, s.title, _when(s.detected_at, zone), s.acknowledged_by or "-",
                      s.roles.ic or "-")
    console.print(table)


def render_incident(s: IncidentState) -> None:
    zone = _zone()
    header = (f"[{SEVERITY_STYLE[s.severity.value]}]{s.severity.value.upper()}[/] {s.title}\n"
              f"service: {s.service}   phase: [bold]{s.phase.value}[/]   source: {s.source}"
              f"{'   [magenta]DRILL[/]' if s.drill else ''}\n"
              f"impact: {s.impact or '-'}\n"
              f"started {_when(s.started_at, zone)} · detected {_when(s.detected_at, zone)} · "
              f"acknowledged {_when(s.acknowledged_at, zone)}{f' by {s.acknowledged_by}' if s.acknowledged_by else ''}"
              f" · mitigated {_when(s.mitigated_at, zone)} · resolved {_when(s.resolved_at, zone)}  ({zone.key})")
    console.print(Panel(header, title=s.id))
    roles = Table(title="Roles")
    for role in ("ic", "ops", "comms", "liaison", "scribe"):
        roles.add_column(role)
    roles.add_row(*[getattr(s.roles, r) or "-" for r in ("ic", "ops", "comms", "liaison", "scribe")])
    console.print(roles)
    pages = Table(title="Pages")
    for column in ("at", "tier", "target", "reason"):
        pages.add_column(column)
    for p in s.pages:
        pages.add_row(_when(p.at, zone), p.tier.value, p.target or "-", p.reason)
    console.print(pages)
    checklist = Table(title="Checklist")
    for column in ("", "item", "by", "at"):
        checklist.add_column(column)
    for c in s.checklist:
        checklist.add_row("✓" if c.done else "✗", f"{c.text} [dim]({c.item})[/]", c.by or "-", _when(c.at, zone))
    console.print(checklist)
    from cli.learning_common import compliance_summary  # after resolution (issue 7)

    if (summary := compliance_summary(s)) is not None:
        console.print(summary)
    timeline = Table(title="Timeline")
    for column in ("at", "kind", "actor", "text"):
        timeline.add_column(column)
    for t in s.timeline:
        timeline.add_row(_when(t.at, zone), t.kind, t.actor, t.text)
    console.print(timeline)
