"""`incident periodic list|done`: seed 000's 정기 점검 항목 and their completion records (docs/learning-loop.md,
"Periodic checks"); what they mean is service/periodic.py."""

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from cli.common import console, fail, local_actor, print_json
from cli.learning_common import ledger, policy
from cli.oncall_cmd import parse_moment
from cli.plain_text import plain_text as plain
from cli.remote_config import remote_target
from cli.training_cmd import _database
from domain.common.text import terminal_text
from service.errors import ServiceError


def _state(status, zone: ZoneInfo) -> str:
    """`status`: a domain.learning.periodic.CheckStatus."""
    if status.status == "done":
        when = status.at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if status.at else ""
        via = " via drill" if status.via == "drill" else ""
        return f"done{' late' if status.late else ''}{via} by {status.by} at {when}"
    last_day = (status.end.astimezone(zone) - timedelta(days=1)).strftime("%Y-%m-%d")
    return {"due": f"due by {last_day}", "missed": f"MISSED (ended {last_day})", "upcoming": "upcoming"}[status.status]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Periodic checks (정기 점검): weekly statistics, monthly review, quarterly training, "
                             "annual plan", no_args_is_help=True)
    app.add_typer(group, name="periodic")

    @group.command("list")
    def list_command(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
        at: Annotated[str | None, typer.Option("--at", help="As of this time (ISO); default: now")] = None,
    ) -> None:
        """Each check with its current period's status (who, when, notes) and the previous period's."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import periodic_overview
            from cli.render import _zone

            if at is not None:
                fail("--at: the gateway lists the periodic checks as of now only", 2)
            zone, items = _zone().key, periodic_overview(remote)
        else:
            from service import periodic

            rules = policy()
            zone = rules.incident.timezone
            now = parse_moment(at, zone, "--at") if at else datetime.now(UTC)
            with _database():
                items = periodic.overview(ledger(), rules, now)
        if as_json:
            print_json([i.model_dump(mode="json") for i in items])
            return
        tz = ZoneInfo(zone)
        table = Table(title=f"Periodic checks ({zone})")
        for column in ("check", "owner", "period", "status", "notes", "previous"):
            table.add_column(column, overflow="fold")
        for i in items:
            owner = f"{i.owner.value}{f' (@{i.owner_oncall})' if i.owner_oncall else ''}"
            previous = f"{i.previous.period}: {_state(i.previous, tz)}"
            table.add_row(i.item, owner, i.current.period, plain(_state(i.current, tz)), plain(i.current.notes),
                          plain(previous))
        console.print(table)
        for i in items:  # the titles (seed 000's wording) in full, below the table
            print(terminal_text(f"{i.item}: {i.title}"))

    @group.command("done")
    def done_command(
        item: Annotated[str, typer.Argument(help="A check id, e.g. weekly-stats")],
        by: Annotated[str | None, typer.Option("--by", help="Who did it (a handle of the policy's people; required "
                                                        "locally, remote: default the token's person)")] = None,
        period: Annotated[str | None, typer.Option("--period", help="2026-W49, 2026-12, 2026-Q4 or 2026; "
                                                   "default: the period containing --at")] = None,
        notes: Annotated[str, typer.Option("--notes", help="What was found or decided")] = "",
        at: Annotated[str | None, typer.Option("--at", help="When it was done (ISO); default: now")] = None,
    ) -> None:
        """Record that a periodic check was done for a period."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import record_periodic
            from cli.render import _zone

            fields = {"item": item.strip(), "period": period, "notes": notes, "by": by and by.strip()}
            entry = record_periodic(remote, fields, at)
            when = entry.completed_at.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")
            print(terminal_text(f"recorded: {entry.item} {entry.period} done by {entry.completed_by} at {when}"))
            return
        from domain.learning.periodic import parse_label
        from service import periodic
        from service.authorization import local_operator

        rules = policy()
        item = item.strip()
        if item not in rules.incident.learning.periodic_checks:
            fail(f"ITEM {item!r}: use {', '.join(rules.incident.learning.periodic_checks)}", 2)
        by = local_actor(by)
        moment = parse_moment(at, rules.incident.timezone, "--at") if at else None
        if moment is not None and moment > datetime.now(UTC):
            fail(f"--at {at}: lies in the future", 2)
        if period is not None:
            try:
                parse_label(rules.incident.learning.periodic_checks[item].every, period, rules.incident.timezone)
            except ValueError as exc:
                fail(f"--period: {exc}", 2)
        try:
            with _database():
                entry = periodic.record(ledger(), rules, item=item, by=by, recorded_by=local_operator().name,
                                        period=period, notes=notes, at=moment)
        except ServiceError as exc:
            fail(str(exc), 1)
        when = entry.completed_at.astimezone(ZoneInfo(rules.incident.timezone)).strftime("%Y-%m-%d %H:%M")
        print(terminal_text(f"recorded: {item} {entry.period} done by {entry.completed_by} at {when}"))
