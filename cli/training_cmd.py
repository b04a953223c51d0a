"""`incident training record|list`: training completions in the ledger (docs/oncall.md, "Training"); what they
mean is service/training.py."""

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import console, fail, local_actor, print_json
from cli.learning_common import ledger, policy
from cli.oncall_cmd import parse_moment
from cli.plain_text import plain_text as plain
from cli.remote_config import remote_target
from domain.common.text import terminal_text
from service.errors import ServiceError

# domain.oncall.training.TRAINING_KINDS, spelt out so `--help` need not load the policy models (a test compares)
KINDS_HELP = "onboarding | quarterly | advanced | drill"


@contextmanager
def _database():
    """A ledger that cannot be read or written: one line, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as exc:
        fail(f"cannot use the incident ledger: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")


def _scorecard(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"--scorecard {path}: {exc}", 2)
    return document


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Training completions: onboarding, quarterly, advanced, drills", no_args_is_help=True)
    app.add_typer(group, name="training")

    @group.command("record")
    def record_command(
        person: Annotated[str, typer.Argument(help="Handle from the policy's people")],
        kind: Annotated[str, typer.Argument(help=KINDS_HELP)],
        by: Annotated[str | None, typer.Option("--by", help="Who records it (required locally); remote: default the "
                                                        "token's person")] = None,
        at: Annotated[str | None, typer.Option("--at", help="When it was completed (ISO); default: now")] = None,
        hours: Annotated[float | None, typer.Option("--hours", min=0.1, max=1000,
                                                    help="Default: the policy's hours for the kind")] = None,
        notes: Annotated[str, typer.Option("--notes", help="What it was: scenario, format …")] = "",
        role: Annotated[str | None, typer.Option("--role", help="A drill's role played, e.g. ic, comms")] = None,
        evaluation: Annotated[str | None, typer.Option("--evaluation", help="The person's evaluation (성과 평가)")]
        = None,
        scorecard: Annotated[Path | None, typer.Option("--scorecard", help="A drill's scorecard to archive: the "
                                                       "JSON file `incident drill run --json` wrote")] = None,
    ) -> None:
        """Record that PERSON completed a training; a drill participant with --role, --evaluation, --scorecard."""
        from domain.oncall.training import TRAINING_KINDS

        kind = kind.strip().lower()
        if kind not in TRAINING_KINDS:
            fail(f"KIND {kind!r}: use {', '.join(TRAINING_KINDS)}", 2)
        card = _scorecard(scorecard) if scorecard else None
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import record_training

            fields = {"person": person.strip(), "kind": kind, "hours": hours, "notes": notes, "role": role,
                      "evaluation": evaluation, "scorecard": card, "by": by and by.strip()}
            entry = record_training(remote, fields, at)
            print(terminal_text(f"recorded #{entry.id}: {entry.person} completed {entry.kind} ({entry.hours:g} h) "
                                f"at {entry.completed_at.isoformat()}"))
            return
        from service import training

        rules = policy()
        by = local_actor(by)
        moment = parse_moment(at, rules.oncall.rotation.timezone, "--at") if at else None
        try:
            with _database():
                entry = training.record(ledger(), rules, person=person.strip(), kind=kind, by=by, at=moment,
                                        hours=hours, notes=notes, role=role, evaluation=evaluation,
                                        scorecard=card)
        except ServiceError as exc:
            fail(str(exc), 2)
        print(terminal_text(f"recorded #{entry.id}: {rules.person_name(entry.person)} ({entry.person}) completed "
                            f"{entry.kind} ({entry.hours:g} h) at {entry.completed_at.isoformat()}"))

    @group.command("list")
    def list_command(
        person: Annotated[str | None, typer.Option("--person", help="Only this person")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    ) -> None:
        """Completions, oldest first, and what each rotation member (or --person) still owes this period."""
        remote = remote_target()
        if remote is not None:  # what each person owes needs the policy: `incident readiness` says it remotely
            from cli.remote_learning import training_records

            items = training_records(remote, person.strip() if person else None)
        else:
            from service import training

            with _database():
                everyone = training.records(ledger())
            items = [i for i in everyone if not person or i.person == person.strip()]
        if as_json:
            print_json([i.model_dump(mode="json") for i in items])
            return
        table = Table(title="Training completions")
        for column in ("#", "person", "kind", "completed", "hours", "role", "recorded by", "notes"):
            table.add_column(column)
        for i in items:
            notes = " · ".join(part for part in (i.notes, i.evaluation and f"evaluation: {i.evaluation}",
                                                 i.scorecard and f"scorecard: {i.scorecard.get('name')}") if part)
            table.add_row(str(i.id), plain(i.person), i.kind, i.completed_at.strftime("%Y-%m-%d %H:%M UTC"),
                          f"{i.hours:g}", plain(i.role or ""), plain(i.recorded_by), plain(notes))
        console.print(table)
        if remote is not None:
            return
        from domain.oncall.training import owed, rotation_members

        rules = policy()
        now = datetime.now(UTC)
        for handle in ([person.strip()] if person else rotation_members(rules.oncall)):
            missing = owed(rules.oncall, everyone, handle, now)
            if missing:
                print(terminal_text(f"{handle} owes: {'; '.join(missing)}"))
