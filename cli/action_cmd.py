"""`incident action add|done|verify|list`: parses and renders; the items and their reminders are service/action_items.py
(docs/learning-loop.md)."""

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from cli.common import connect, fail, print_json, run
from cli.learning_common import incident_key, ledger, policy
from cli.plain_text import plain_text as plain
from domain.common.text import terminal_text


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Postmortem action items with owners, due dates and reminders.", no_args_is_help=True)
    app.add_typer(group, name="action")

    @group.command("add")
    def add(
        incident: Annotated[str, typer.Argument(help="Incident id")],
        title: Annotated[str, typer.Option(help="What will be done")],
        owner: Annotated[str, typer.Option(help="Who does it (a handle)")],
        due: Annotated[str, typer.Option(help="Due date, YYYY-MM-DD")],
        term: Annotated[str, typer.Option(help="short | mid | long")] = "short",
        by: Annotated[str, typer.Option("--by", help="Who adds it")] = "",
    ) -> None:
        """Add an action item; prints its id. The owner is reminded on the due date, then weekly."""
        try:
            due_date = date.fromisoformat(due)
        except ValueError:
            fail(f"--due {due!r}: use a date like 2026-12-01", 2)
        if term not in ("short", "mid", "long"):
            fail(f"--term {term!r}: use short, mid or long", 2)
        if not title.strip() or not owner.strip():
            fail("--title and --owner must not be empty", 2)
        from adapters.stores.ledger_engine import LedgerError
        from service.action_items import add_action_item
        from settings import get_settings

        store, policy_ = ledger(), policy()

        async def body():
            try:
                return await add_action_item(await connect(), get_settings().task_queue, store, policy_,
                                             incident_key(incident), title.strip(), owner.strip(), due_date,
                                             term, (by or owner).strip(), datetime.now(UTC))
            except LedgerError as exc:
                fail(terminal_text(str(exc)))

        print(run(body).id)

    @group.command("done")
    def done(
        action_id: Annotated[int, typer.Argument(metavar="AID", help="Action item id from `incident action list`")],
        by: Annotated[str, typer.Option("--by", help="Who finished it")],
    ) -> None:
        """Mark an action item done: its reminders stop."""
        from adapters.stores.ledger_engine import LedgerError
        from service.action_items import complete_action_item

        store = ledger()

        async def body():
            try:
                return await complete_action_item(await connect(), store, action_id, by.strip(), datetime.now(UTC))
            except LedgerError as exc:  # "already done by <who>"
                fail(terminal_text(str(exc)))

        item = run(body)
        print(terminal_text(f"#{item.id} done by {item.done_by}: {item.title}"))

    @group.command("verify")
    def verify(
        action_id: Annotated[int, typer.Argument(metavar="AID", help="Action item id from `incident action list`")],
        evidence: Annotated[str, typer.Option("--evidence", help="What shows the fix works (a link, a drill …)")],
        by: Annotated[str, typer.Option("--by", help="Who checked it")],
    ) -> None:
        """Mark a done action item verified: the fix was checked to work, with the evidence."""
        if not evidence.strip() or not by.strip():
            fail("--evidence and --by must not be empty", 2)
        from adapters.stores.ledger_engine import LedgerError
        from service.action_items import verify_action_item

        try:
            item = verify_action_item(ledger(), action_id, by.strip(), evidence.strip(), datetime.now(UTC))
        except LedgerError as exc:  # not done yet, or already verified by <who>
            fail(terminal_text(str(exc)))
        print(terminal_text(f"#{item.id} verified by {item.verified_by}: {item.title} — {item.evidence}"))

    @group.command("list")
    def list_(
        open_: Annotated[bool, typer.Option("--open", help="Only items not done")] = False,
        owner: Annotated[str | None, typer.Option(help="Only this owner's items")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Action items, soonest due first."""
        from service.action_items import list_action_items

        items = list_action_items(ledger(), open_only=open_, owner=owner)
        if as_json:
            print_json([i.model_dump(mode="json") for i in items])
            return
        from rich.table import Table

        from cli.common import console

        today = datetime.now(UTC).date()
        table = Table(title="Action items")
        for column in ("id", "incident", "term", "title", "owner", "due", "status"):
            table.add_column(column)
        for i in items:
            status = "[red]overdue[/]" if i.overdue(today) else "verified" if i.verified else i.status
            table.add_row(str(i.id), plain(i.incident_id), i.term, plain(i.title), plain(i.owner), str(i.due), status)
        console.print(table if items else "No action items.")
