"""`incident audit`: the audit log (docs/security.md, "Roles and the audit log"), newest first, with the filters
of `GET /api/audit`. Read from the ledger as configured, like the other learning-loop commands."""

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.common import console, fail, print_json
from cli.learning_common import incident_key, ledger
from cli.plain_text import plain_text as plain
from cli.remote_config import remote_target
from cli.render import _when, _zone


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_log(
        incident: Annotated[str | None, typer.Option("--incident", help="One incident's entries")] = None,
        actor: Annotated[str | None, typer.Option(
            "--actor", help="A person, also when a token acted on their behalf")] = None,
        action: Annotated[str | None, typer.Option(
            "--action", help="A decision kind or action, e.g. acknowledge, declare, read")] = None,
        refused: Annotated[bool, typer.Option("--refused", help="Only refused actions")] = False,
        since: Annotated[str | None, typer.Option("--since", help="Only entries this recent, e.g. 30m, 24h")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many entries")] = 200,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Who did or tried what, on which incident, from where: allowed and refused actions, newest first."""
        from domain.common.durations import parse_duration

        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import audit as audit_remotely

            found = audit_remotely(remote, incident=incident, actor=actor, action=action, refused=refused or None,
                                   since=since, limit=limit)
            if as_json:
                print_json([entry.model_dump(mode="json") for entry in found])
            else:
                render_audit(found)
            return
        from service import audit

        try:
            after = datetime.now(UTC) - parse_duration(since) if since else None
        except ValueError as exc:
            fail(f"--since: {exc}", 2)
        found = audit.entries(ledger(), incident=incident_key(incident) if incident else None, actor=actor,
                              action=action, allowed=False if refused else None, since=after, limit=limit)
        if as_json:
            print_json([entry.model_dump(mode="json") for entry in found])
            return
        render_audit(found)


def render_audit(found: list) -> None:
    """`found`: domain.identity.audit.AuditEntry items."""
    if not found:
        console.print("No audit entries.")
        return
    zone = _zone()
    table = Table(title=f"Audit log, newest first ({zone.key})")
    for column in ("when", "actor", "as", "action", "incident", "from", "outcome"):
        table.add_column(column)
    for entry in found:
        outcome = (Text("allowed", style="green") if entry.allowed
                   else Text.assemble(("refused", "bold red"), ": ", plain(entry.reason)))
        who = entry.principal.value + (f" {entry.principal_name}" if entry.principal_name not in (None, entry.actor)
                                       else "")
        table.add_row(_when(entry.at, zone), plain(entry.actor), plain(who), plain(entry.action),
                      plain(entry.incident), entry.source.value, outcome)
    console.print(table)
