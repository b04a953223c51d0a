"""Rich output for people (machines get --json). Every value that came from a sender or a person goes
through `plain` (cli/plain_text.py): no terminal escapes, no Rich markup."""

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cli.common import console
from cli.plain_text import plain_text as plain
from domain.common.text import terminal_text

SEVERITY_STYLE = {"sev0": "bold white on red", "sev1": "bold red", "sev2": "yellow", "sev3": "cyan"}


def _zone() -> ZoneInfo:
    from adapters.policy_files import PolicyError, load_policy
    from settings import get_settings

    try:
        return ZoneInfo(load_policy(get_settings().policy_dir).incident.timezone)
    except (PolicyError, OSError):
        return ZoneInfo("UTC")


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%m-%d %H:%M:%S") if at else "-"


def render_list(states: list) -> None:
    """`states`: IncidentState, or the summaries `GET /api/incidents` answers (cli/remote_models.py)."""
    if not states:
        console.print("No incidents.")
        return
    zone = _zone()
    table = Table(title=f"Incidents ({zone.key})")
    table.add_column("id", no_wrap=True, min_width=max(len(s.id) for s in states))  # the one thing to copy
    for column in ("sev", "phase", "service", "title", "detected", "ack by", "IC"):
        table.add_column(column)
    for s in states:
        table.add_row(plain(s.id + (" [drill]" if s.drill else "")),
                      Text(s.severity.value, style=SEVERITY_STYLE[s.severity.value]), s.phase.value,
                      plain(s.service), plain(s.title), _when(s.detected_at, zone), plain(s.acknowledged_by),
                      plain(s.roles.ic))
    console.print(table)


LOCAL = object()  # render_incident's compliance: read here (local mode), else the gateway's answer


def render_incident(s, compliance=LOCAL) -> None:
    """`s`: an IncidentState; `compliance`: the summary text to print (None: none), by default computed here."""
    zone = _zone()
    acknowledged_by = (" by ", plain(s.acknowledged_by)) if s.acknowledged_by else ()
    header = Text.assemble(
        (s.severity.value.upper(), SEVERITY_STYLE[s.severity.value]), " ", plain(s.title), "\n",
        "service: ", plain(s.service), "   phase: ", (s.phase.value, "bold"), "   source: ", plain(s.source),
        Text.assemble("   ", ("DRILL", "magenta")) if s.drill else "", "\n",
        "impact: ", plain(s.impact), "\n",
        f"started {_when(s.started_at, zone)} · detected {_when(s.detected_at, zone)} · "
        f"acknowledged {_when(s.acknowledged_at, zone)}", *acknowledged_by,
        f" · mitigated {_when(s.mitigated_at, zone)} · resolved {_when(s.resolved_at, zone)}  ({zone.key})")
    console.print(Panel(header, title=plain(s.id)))
    roles = Table(title="Roles")
    for role in ("ic", "ops", "comms", "liaison", "scribe"):
        roles.add_column(role)
    roles.add_row(*[plain(getattr(s.roles, r)) for r in ("ic", "ops", "comms", "liaison", "scribe")])
    console.print(roles)
    pages = Table(title="Pages")
    for column in ("at", "tier", "target", "reason"):
        pages.add_column(column)
    for p in s.pages:
        pages.add_row(_when(p.at, zone), p.tier.value, plain(p.target), plain(p.reason))
    console.print(pages)
    _render_alerts(s, zone)
    checklist = Table(title="Checklist")
    for column in ("", "item", "by", "at"):
        checklist.add_column(column)
    for c in s.checklist:
        checklist.add_row("✓" if c.done else "✗", Text.assemble(plain(c.text), " ", (f"({c.item})", "dim")),
                          plain(c.by), _when(c.at, zone))
    console.print(checklist)
    if compliance is LOCAL:  # after resolution (issue 7)
        from cli.learning_common import compliance_summary

        compliance = compliance_summary(s)
    if (summary := compliance) is not None:
        console.print(plain(summary, multiline=True))
    omitted = f" ({s.alert_lines_omitted:,} older alert lines gave way)" if s.alert_lines_omitted else ""
    timeline = Table(title="Timeline" + omitted)
    for column in ("at", "kind", "actor", "text"):
        timeline.add_column(column)
    for t in s.timeline:
        timeline.add_row(_when(t.at, zone), t.kind, plain(t.actor), plain(t.text, multiline=True))
    console.print(timeline)


ALERTS_SHOWN = 20


def _render_alerts(s, zone: ZoneInfo) -> None:
    """Firing alerts first; the ones the incident was not shown (truncated, over the limits) are counted."""
    if not s.alerts and not s.alerts_hidden:
        return
    alerts = sorted(s.alerts.values(), key=lambda a: (a.status != "firing", a.starts_at or s.detected_at))
    firing = sum(a.status == "firing" for a in alerts)
    table = Table(title=f"Alerts ({firing} firing of {len(alerts)})")
    for column in ("status", "alert", "since"):
        table.add_column(column)
    for alert in alerts[:ALERTS_SHOWN]:
        name = alert.labels.get("alertname", alert.fingerprint)
        summary = alert.annotations.get("summary")
        table.add_row(alert.status, plain(f"{name}: {summary}" if summary else name), _when(alert.starts_at, zone))
    console.print(table)
    if len(alerts) > ALERTS_SHOWN:
        console.print(Text(f"… {len(alerts) - ALERTS_SHOWN:,} more alerts (`incident show {terminal_text(s.id)} "
                           "--json` lists them)"))
    if s.alerts_hidden:
        console.print(f"+{s.alerts_hidden:,} more alerts of this group not shown (truncated by the sender or over "
                      "the limits): the incident will not mitigate itself while they may fire")
