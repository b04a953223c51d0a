"""`incident postmortem show|edit|publish`: parses, edits and renders; reading, saving (versioned, in the ledger)
and publishing are service/postmortems.py (docs/learning-loop.md)."""

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cli.common import connect, fail, print_json, run
from cli.learning_common import incident_key, ledger
from domain.common.text import terminal_text

Id = Annotated[str, typer.Argument(help="Incident id")]


async def publish_postmortem(*args, **kwargs):
    """service.postmortems.publish_postmortem, imported when a postmortem is published."""
    from service.postmortems import publish_postmortem as publish

    return await publish(*args, **kwargs)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Postmortems: show, edit and publish the draft written at resolution.",
                        no_args_is_help=True)
    app.add_typer(group, name="postmortem")

    @group.command("show")
    def show(incident: Id, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Print the postmortem (the ledger's draft while unpublished)."""
        key = incident_key(incident)
        record = _record(key)
        if as_json:
            print_json(record.model_dump(mode="json"))
            return
        from service.postmortems import shown_text

        print(terminal_text(shown_text(ledger(), record), multiline=True))  # its lines stay, escapes go

    @group.command("edit")
    def edit(incident: Id) -> None:
        """Open the ledger's draft in $EDITOR (then $VISUAL, then vi) and save it back to the ledger as the next
        version; refused, keeping your file, when someone else saved in between."""
        from service.errors import ServiceError
        from service.postmortems import draft, save

        key = incident_key(incident)
        store = ledger()
        current = draft(store, key)
        if current.status == "published":
            record = _record(key)
            fail(f"the postmortem of {key} is already published ({terminal_text(record.published_by or '-')})")
        path = Path(tempfile.mkdtemp(prefix="incidentflow-postmortem-")) / f"{key}.md"
        path.write_text(current.markdown, encoding="utf-8")
        editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
        code = subprocess.call([*shlex.split(editor), str(path)])
        if code != 0:
            fail(f"{editor} exited with {code}; the draft in the ledger is unchanged (your text: {path})")
        text = path.read_text(encoding="utf-8")
        if text == current.markdown:
            path.unlink()
            print(f"{key}: no changes (version {current.version})")
            return
        try:
            saved = save(store, key, text, _editor_name(), current.version)
        except ServiceError as exc:  # DraftConflict: someone saved in between
            fail(f"{terminal_text(str(exc))} (your text is kept in {path})")
        path.unlink()
        print(f"{key}: draft saved (version {saved.version}; {saved.path or 'no export file'})")

    @group.command("publish")
    def publish(
        incident: Id,
        by: Annotated[str, typer.Option("--by", help="Who publishes")],
        root_cause: Annotated[str | None, typer.Option(help="Root-cause category (else read from the draft)")] = None,
        force: Annotated[bool, typer.Option("--force", help="Publish even if required sections still hold the "
                                                            "template's text")] = False,
    ) -> None:
        """Publish the postmortem: stores the final text and closes the incident. Required sections that still
        hold the template's text (policy `learning.postmortem.required_sections`) refuse it without --force."""
        key = incident_key(incident)
        if not by.strip():
            fail("--by must not be empty", 2)

        async def body():
            return await publish_postmortem(await connect(), ledger, key, by.strip(), root_cause, force=force)

        record = run(body)
        when = "on time" if record.on_time(record.published_at) else "after the deadline"
        print(terminal_text(f"{key}: postmortem published by {record.published_by} ({when}); incident closed"))


def _editor_name() -> str:
    from service.authorization import local_operator

    return local_operator().name


def _record(key: str):
    from service.postmortems import postmortem

    return postmortem(ledger(), key)
