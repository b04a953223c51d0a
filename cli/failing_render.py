"""How `incident list` and `incident show` print an incident whose workflow task keeps failing
(service/failing.py): apart from the others, in red, with what is still known of it."""

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cli.common import console
from cli.plain_text import plain_text as plain
from cli.render import LOCAL, SEVERITY_STYLE, _when, _zone, render_incident
from domain.common.text import terminal_text

KNOWN_FROM = {"ledger": "the ledger's last record", "previous run": "the state its previous run handed over",
              "declaration": "its declaration", "visibility": "Temporal's visibility (its input is unreadable)"}
WHAT_NOW = ("Its escalation is stopped and no decision can reach it; the watchdog pages the current primary "
            "(docs/reliability.md, Watchdog).")


def render_failing_list(incidents: list) -> None:
    """`incidents`: service.failing.FailingIncident items (a state and since when it fails)."""
    zone = _zone()
    table = Table(title=f"FAILING incidents ({zone.key}): their workflow task keeps failing", title_style="bold red",
                  border_style="red", caption=WHAT_NOW)
    table.add_column("id", no_wrap=True, min_width=max((len(i.state.id) for i in incidents), default=2))
    for column in ("sev", "last phase", "service", "title", "failing since", "failures", "known from"):
        table.add_column(column)
    for incident in incidents:
        s, failing = incident.state, incident.failing
        table.add_row(plain(s.id + (" [drill]" if s.drill else "")),
                      Text(s.severity.value, style=SEVERITY_STYLE[s.severity.value]), s.phase.value,
                      plain(s.service), plain(s.title), _when(failing.since, zone), str(failing.failures),
                      failing.known_from)
    console.print(table)


def render_failing_incident(incident, compliance=LOCAL) -> None:
    failing, zone = incident.failing, _zone()
    body = Text.assemble(
        ("WORKFLOW FAILING", "bold red"),
        f": its workflow task has failed {failing.failures} times in a row since {_when(failing.since, zone)} "
        f"({zone.key}):\n", terminal_text(failing.cause), "\n",
        f"{WHAT_NOW}\nBelow: the incident as last known, from {KNOWN_FROM[failing.known_from]}.")
    console.print(Panel(body, title=plain(incident.state.id), border_style="red"))
    render_incident(incident.state, compliance)
