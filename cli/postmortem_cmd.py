"""`incident postmortem show|edit|publish`: parses, edits and renders; reading, saving (versioned, in the ledger)
and publishing are service/postmortems.py (docs/learning-loop.md)."""

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cli.common import connect, fail, local_actor, print_json, run
from cli.learning_common import incident_key, ledger
from cli.remote_config import Remote, remote_target
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
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import postmortem_view

            answer, view = postmortem_view(remote, key)
            if as_json:  # the gateway's view: the record's fields with the draft's version and template sections
                print_json(answer)
            else:
                print(terminal_text(view.markdown, multiline=True))
            return
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
        key = incident_key(incident)
        remote = remote_target()
        if remote is not None:
            _edit_remotely(remote, key)
            return
        from service.errors import ServiceError
        from service.postmortems import draft, save

        store = ledger()
        current = draft(store, key)
        if current.status == "published":
            record = _record(key)
            fail(f"the postmortem of {key} is already published ({terminal_text(record.published_by or '-')})")
        path, text = _edited(key, current.markdown)
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
        by: Annotated[str | None, typer.Option("--by", help="Who publishes; remote: the token's person")] = None,
        root_cause: Annotated[str | None, typer.Option(help="Root-cause category (else read from the draft)")] = None,
        force: Annotated[bool, typer.Option("--force", help="Publish even if required sections still hold the "
                                                            "template's text")] = False,
    ) -> None:
        """Publish the postmortem: stores the final text and closes the incident. Required sections that still
        hold the template's text (policy `learning.postmortem.required_sections`) refuse it without --force."""
        key = incident_key(incident)
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import publish as publish_remotely

            record = publish_remotely(remote, key, root_cause, force)
        else:
            who = local_actor(by)

            async def body():
                return await publish_postmortem(await connect(), ledger, key, who, root_cause, force=force)

            record = run(body)
        when = "on time" if record.on_time(record.published_at) else "after the deadline"
        print(terminal_text(f"{key}: postmortem published by {record.published_by} ({when}); incident closed"))


def _edited(key: str, markdown: str) -> tuple[Path, str]:
    """`markdown` in a temporary file opened in $EDITOR (then $VISUAL, then vi): the file and its text after."""
    path = Path(tempfile.mkdtemp(prefix="incidentflow-postmortem-")) / f"{key}.md"
    path.write_text(markdown, encoding="utf-8")
    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
    code = subprocess.call([*shlex.split(editor), str(path)])
    if code != 0:
        fail(f"{editor} exited with {code}; the draft is unchanged (your text: {path})")
    return path, path.read_text(encoding="utf-8")


def _edit_remotely(remote: Remote, key: str) -> None:
    """GET the draft, edit it, PUT it with the version it came from; any refusal keeps the file and says where."""
    from cli.common import CommandError
    from cli.remote_learning import postmortem_view, save_draft

    _, current = postmortem_view(remote, key)
    if current.status == "published":
        fail(f"the postmortem of {key} is already published ({terminal_text(current.published_by or '-')})")
    path, text = _edited(key, current.markdown)
    if text == current.markdown:
        path.unlink()
        print(f"{key}: no changes (version {current.version})")
        return
    try:
        saved = save_draft(remote, key, text, current.version)
    except CommandError as exc:  # a 409: saved by someone else since this version (the gateway names who)
        fail(f"{exc} (your text is kept in {path})", exc.code)
    path.unlink()
    print(terminal_text(f"{key}: draft saved (version {saved.version}, by {saved.updated_by or '-'})"))


def _editor_name() -> str:
    from service.authorization import local_operator

    return local_operator().name


def _record(key: str):
    from service.postmortems import postmortem

    return postmortem(ledger(), key)
