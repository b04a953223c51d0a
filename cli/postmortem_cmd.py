"""`incident postmortem show|edit|publish`: the draft lives in `<data dir>/postmortems/<id>.md` and in the
ledger; publishing goes through the PostmortemWorkflow, which records it and closes the incident."""

import os
import shlex
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from cli.common import fail, print_json, run
from cli.learning_common import incident_key, ledger
from domain.common.text import terminal_text
from service.temporal import connect
from workflows.postmortem import PostmortemWorkflow, Publish, postmortem_workflow_id

Id = Annotated[str, typer.Argument(help="Incident id")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Postmortems: show, edit and publish the draft written at resolution.",
                        no_args_is_help=True)
    app.add_typer(group, name="postmortem")

    @group.command("show")
    def show(incident: Id, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Print the postmortem (the draft file while unpublished)."""
        record = _record(incident_key(incident))
        if as_json:
            print_json(record.model_dump(mode="json"))
            return
        path = Path(record.path) if record.path else None
        text = path.read_text(encoding="utf-8") if record.status == "draft" and path and path.exists() else (
            record.markdown)
        print(terminal_text(text, multiline=True))  # people edit the draft: its lines stay, escapes go

    @group.command("edit")
    def edit(incident: Id) -> None:
        """Open the draft in $EDITOR (then $VISUAL, then vi); the saved text is kept in the ledger too."""
        key = incident_key(incident)
        record = _record(key)
        if record.status == "published":
            fail(f"the postmortem of {key} is already published ({terminal_text(record.published_by or '-')})")
        path = Path(record.path or "")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(record.markdown, encoding="utf-8")
        editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
        code = subprocess.call([*shlex.split(editor), str(path)])
        if code != 0:
            fail(f"{editor} exited with {code}; the draft on disk is unchanged in the ledger")
        ledger().update_draft(key, path.read_text(encoding="utf-8"))
        print(f"{key}: draft saved ({path})")

    @group.command("publish")
    def publish(
        incident: Id,
        by: Annotated[str, typer.Option("--by", help="Who publishes")],
        root_cause: Annotated[str | None, typer.Option(help="Root-cause category (else read from the draft)")] = None,
    ) -> None:
        """Publish the postmortem: stores the final text and closes the incident."""
        key = incident_key(incident)
        if not by.strip():
            fail("--by must not be empty", 2)

        async def body():
            client = await connect()
            handle = client.get_workflow_handle_for(PostmortemWorkflow.run, postmortem_workflow_id(key))
            try:
                description = await handle.describe()
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    fail(f"no postmortem for incident {key!r}: is it resolved, and does its severity require one?")
                raise
            if description.status != WorkflowExecutionStatus.RUNNING:
                record = ledger().postmortem(key)
                who = f" by {terminal_text(record.published_by)}" if record and record.published_by else ""
                fail(f"the postmortem of {key} is already published{who}")
            return await handle.execute_update(PostmortemWorkflow.publish, Publish(by=by.strip(),
                                                                                   root_cause=root_cause))

        record = run(body)
        when = "on time" if record.on_time(record.published_at) else "after the deadline"
        print(terminal_text(f"{key}: postmortem published by {record.published_by} ({when}); incident closed"))


def _record(key: str):
    record = ledger().postmortem(key)
    if record is None:
        fail(f"no postmortem for incident {key!r} yet (it is drafted when a Sev0–Sev2 incident resolves)")
    return record
