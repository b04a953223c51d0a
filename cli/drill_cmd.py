"""`incident drill run|list|schema`: tabletop drills through the real incident workflow (docs/drills.md).

Exit codes of `run`: 0 every expectation holds, 1 one failed (or the drill could not run), 2 a scenario
file is invalid (`file: path: reason` on stderr; the valid ones in a directory still run).
"""

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from cli.common import fail, print_json
from cli.plain_text import plain_text as plain
from domain.common.text import terminal_text

SCHEMA_FILE = Path("schema") / "scenario.schema.json"


def schema_document() -> dict:
    from domain.drills.scenario import Scenario

    return Scenario.model_json_schema()


async def run_live(*args, **kwargs):
    """service.drills.run_live, imported when a live drill starts."""
    from service.drills import run_live as live

    return await live(*args, **kwargs)


def register(app: typer.Typer) -> None:
    drill = typer.Typer(help="Tabletop drills: play scenarios through the real incident workflow",
                        no_args_is_help=True)
    app.add_typer(drill, name="drill")

    @drill.command("run")
    def run_cmd(
        path: Annotated[Path, typer.Argument(help="A scenario file, or a directory of them (e.g. drills/)")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the scorecard(s) as JSON")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="Also write each scorecard as <name>.md here")] = None,
        live: Annotated[bool, typer.Option("--live", help="Run on the stack (TEMPORAL_ADDRESS) in real time; "
                                           "people make the decisions")] = False,
        speed: Annotated[float, typer.Option("--speed", help="Live: compress the drill's clock N times")] = 1.0,
        autoplay: Annotated[bool, typer.Option("--autoplay", help="Live: also play the scripted decisions")] = False,
        no_record: Annotated[bool, typer.Option("--no-record", help="Live: do not record the participants' "
                                                "drill training in the ledger")] = False,
    ) -> None:
        """Play scenario(s) and print a scorecard. Instant (simulated time) unless --live."""
        from cli.drill_render import scorecard_markdown
        from cli.drill_runner import ScenarioError, load_all

        if speed <= 0:
            fail("--speed must be greater than 0", 2)
        if live:  # an instant drill runs in this process on simulated time, in either mode
            from cli.remote_config import stack_only

            stack_only("drill run --live")
        if (speed != 1 or autoplay or no_record) and not live:
            fail("--speed, --autoplay and --no-record only apply with --live", 2)
        try:
            items, problems = load_all(path)
        except ScenarioError as exc:
            items, problems = [], exc.problems
        for problem in problems:
            print(terminal_text(problem), file=sys.stderr)  # names the file: its name came with it
        if not items:
            if not problems:
                print(f"{path}: (file): no scenario files (*.yaml) here", file=sys.stderr)
            raise typer.Exit(2)
        archived = True
        if live:
            if len(items) != 1 or path.is_dir():
                fail("--live runs one scenario file at a time", 2)
            cards = [_run_live(items[0], speed, autoplay, as_json)]
            archived = _record_participants(cards[0], Console(stderr=as_json), record=not no_record)
        else:
            cards = _run_instant(items, as_json)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            for card in cards:
                (out / f"{card.name}.md").write_text(scorecard_markdown(card), encoding="utf-8")
        if as_json:
            data = [c.model_dump(mode="json") for c in cards]
            print_json(data[0] if not path.is_dir() else data)
        elif len(cards) > 1:
            _print_summary(cards)
        code = 2 if problems else (0 if all(c.passed for c in cards) and (not live or archived) else 1)
        raise typer.Exit(code)

    @drill.command("list")
    def list_cmd(
        directory: Annotated[Path | None, typer.Argument(help="Default: ./drills, else the project's")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """The scenarios in drills/: name, how they start, length, expectations."""
        from cli.drill_runner import ScenarioError, drills_dir, load_all

        directory = directory or drills_dir()
        try:
            items, problems = load_all(directory)
        except ScenarioError as exc:
            items, problems = [], exc.problems
        rows = [_describe(item) for item in items]
        if as_json:
            print_json(rows)
        else:
            from rich.table import Table

            table = Table(title=plain(f"Drills in {directory}"))
            for column in ("name", "start", "length", "events", "expects", "file"):
                table.add_column(column)
            for row in rows:  # alert names and paths come from the scenario files
                table.add_row(plain(row["name"]), plain(row["start"]), row["length"], str(row["events"]),
                              str(row["expectations"]), plain(row["file"]))
            Console().print(table)
        for problem in problems:
            print(terminal_text(problem), file=sys.stderr)
        raise typer.Exit(2 if problems else 0)

    @drill.command()
    def schema(
        write: Annotated[bool, typer.Option("--write", help="Write drills/schema/scenario.schema.json")] = False,
    ) -> None:
        """Print (or write) the JSON Schema of scenario files, for editors and CI."""
        text = json.dumps(schema_document(), ensure_ascii=False, indent=2) + "\n"
        if write:
            from cli.drill_runner import drills_dir

            target = drills_dir() / SCHEMA_FILE
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(target)
        else:
            sys.stdout.write(text)


def _describe(item) -> dict:
    from cli.drill_render import clock

    s = item.scenario
    if s.start.alert is not None:
        start = "alert " + s.start.alert.labels.get("alertname", "?")
    else:
        start = f"declare {s.start.declare.severity.value} {s.start.declare.service}"
    return {"name": s.name, "description": s.description, "file": str(item.path), "start": start,
            "length": clock(s.length.total_seconds()).removeprefix("T+"), "events": len(s.events),
            "expectations": 0 if s.expect is None else len(s.expect.model_dump(exclude_none=True,
                                                                              exclude={"tolerance"}))}


def _quiet_sdk() -> None:
    logging.getLogger("temporalio").setLevel(logging.ERROR)


def _run_instant(items: list, as_json: bool) -> list:
    from cli.drill_render import render_scorecard
    from cli.drill_runner import run_instant

    _quiet_sdk()
    console = Console()

    def done(item, card) -> None:
        if not as_json:
            render_scorecard(card, console)
            console.print()

    import asyncio

    try:
        return asyncio.run(run_instant(items, on_done=done))
    except RuntimeError as exc:
        fail(str(exc))


def _run_live(item, speed: float, autoplay: bool, as_json: bool):
    from cli.common import run
    from cli.drill_render import clock, render_scorecard
    from cli.drill_runner import new_incident_id
    from domain.drills.playback import DrillRequest
    from service.temporal import connect
    from settings import get_settings

    _quiet_sdk()
    # With --json, stdout is for the scorecard only: the running commentary goes to stderr.
    console = Console(stderr=as_json)
    request = DrillRequest(scenario=item.scenario, incident_id=new_incident_id(item.scenario.name),
                           policy_dir=item.policy_dir, speed=speed, live=True, autoplay_decisions=autoplay)
    deciders = "scripted decisions are played" if autoplay else "you make the decisions"
    console.print(Text.assemble(
        ("LIVE DRILL", "magenta"), f" {item.scenario.name} ×{speed:g} — incident ", (request.incident_id, "bold"),
        f" ({deciders}: e.g. `incident ack {request.incident_id} --by <you>`). Ctrl-C aborts."))
    # Event and timeline text comes from the scenario file and the incident: shown as written (plain)
    for event in item.scenario.ordered_events():
        if event.decision is None or autoplay:
            console.print(plain(f"  scheduled {clock(event.at.total_seconds())} "
                                f"(in {event.at.total_seconds() / speed:.0f}s): {event.what}"))

    def show(state, index: int) -> None:
        entry = state.timeline[index]
        offset = (entry.at - state.detected_at).total_seconds() * speed
        console.print(plain(f"{clock(offset)} {entry.kind:<14} {entry.actor:<14} {entry.text}"))

    async def body():
        client = await connect()
        return await run_live(client, get_settings().task_queue, request, on_entry=show)

    card = run(body)
    if not as_json:
        render_scorecard(card, console)
    return card


def _record_participants(card, console: Console, record: bool) -> bool:
    """A live drill counts as training: each participant of the on-call policy gets a drill record (the
    ledger and policy as configured, like `incident training record`). False: the ledger refused."""
    from sqlalchemy.exc import SQLAlchemyError

    from cli.learning_common import ledger, policy
    from service.drills import archive

    if not card.participants:
        console.print("No participants to record as drill training (nobody decided or held a role).")
        return True
    if not record:
        console.print(plain("Not recorded as training (--no-record): "
                            + ", ".join(p.person for p in card.participants)))
        return True
    try:
        result = archive(ledger, policy(), card)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        console.print(plain(f"Drill training NOT recorded: cannot use the incident ledger: {reason}"), style="red")
        return False
    for entry in result.recorded:
        console.print(plain(f"recorded drill training #{entry.id}: {entry.person}"
                            f"{f' ({entry.role})' if entry.role else ''}: {entry.evaluation}"))
    for person, why in result.not_recorded:
        console.print(plain(f"not recorded: {person}: {why}"), style="yellow")
    return True


def _print_summary(cards: list) -> None:
    from rich.table import Table

    table = Table(title="Drills")
    for column in ("", "name", "severity", "final phase", "pages", "wall"):
        table.add_column(column)
    for c in cards:
        table.add_row("[green]✓[/]" if c.passed else "[red]✗[/]", c.name, c.severity.value, c.final_phase.value,
                      str(len(c.pages)), f"{c.wall_seconds:.2f}s")
    Console().print(table)
