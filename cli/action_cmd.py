"""`incident action add|done|verify|list`: parses and renders; the items and their reminders are service/action_items.py
(docs/learning-loop.md)."""

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from cli.common import connect, fail, local_actor, print_json, run
from cli.learning_common import incident_key, ledger, policy
from cli.plain_text import plain_text as plain
from cli.remote_config import remote_target
from domain.common.text import terminal_text

By = Annotated[str | None, typer.Option("--by", help="Who acts (required locally); remote: the token's person")]


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
        by: Annotated[str, typer.Option("--by", help="Who adds it (default: the owner; remote: the token's person)")
                      ] = "",
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
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import add_action

            print(add_action(remote, incident, title.strip(), owner.strip(), due_date, term).id)
            return
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
        by: By = None,
    ) -> None:
        """Mark an action item done: its reminders stop."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import finish_action

            item = finish_action(remote, action_id)
            print(terminal_text(f"#{item.id} done by {item.done_by}: {item.title}"))
            return
        who = local_actor(by)
        from adapters.stores.ledger_engine import LedgerError
        from service.action_items import complete_action_item

        store = ledger()

        async def body():
            try:
                return await complete_action_item(await connect(), store, action_id, who, datetime.now(UTC))
            except LedgerError as exc:  # "already done by <who>"
                fail(terminal_text(str(exc)))

        item = run(body)
        print(terminal_text(f"#{item.id} done by {item.done_by}: {item.title}"))

    @group.command("verify")
    def verify(
        action_id: Annotated[int, typer.Argument(metavar="AID", help="Action item id from `incident action list`")],
        evidence: Annotated[str, typer.Option("--evidence", help="What shows the fix works (a link, a drill …)")],
        by: By = None,
    ) -> None:
        """Mark a done action item verified: the fix was checked to work, with the evidence."""
        if not evidence.strip():
            fail("--evidence must not be empty", 2)
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import finish_action

            item = finish_action(remote, action_id, evidence.strip())
        else:
            item = _verify_locally(action_id, local_actor(by), evidence.strip())
        print(terminal_text(f"#{item.id} verified by {item.verified_by}: {item.title} — {item.evidence}"))

    @group.command("list")
    def list_(
        open_: Annotated[bool, typer.Option("--open", help="Only items not done")] = False,
        owner: Annotated[str | None, typer.Option(help="Only this owner's items")] = None,
        incident: Annotated[str | None, typer.Option(
            "--incident", help="Only this incident's items (remote: required, the gateway lists per incident)")]
        = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Action items, soonest due first."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import actions

            if incident is None:
                fail("--incident: the gateway lists one incident's action items; give its id", 2)
            items = [i for i in actions(remote, incident)
                     if (not open_ or i.status == "open") and (owner is None or i.owner == owner)]
        else:
            from service.action_items import list_action_items

            items = list_action_items(ledger(), open_only=open_, owner=owner)
            if incident is not None:
                items = [i for i in items if i.incident_id == incident_key(incident)]
        if as_json:
            print_json([i.model_dump(mode="json") for i in items])
            return
        _render(items)


def _verify_locally(action_id: int, by: str, evidence: str):
    from adapters.stores.ledger_engine import LedgerError
    from service.action_items import verify_action_item

    try:
        return verify_action_item(ledger(), action_id, by, evidence, datetime.now(UTC))
    except LedgerError as exc:  # not done yet, or already verified by <who>
        fail(terminal_text(str(exc)))


def _render(items: list) -> None:
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
