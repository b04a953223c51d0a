"""`incident runbook check|list|schema|dry-run|run|cancel` and `incident approve|reject`. Runbook files and
alerts are not the operator's own text: what they hold is printed through `terminal_text` (no escapes)."""

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, print_json
from cli.incidents import By, Id, decide
from domain.common.text import terminal_text

SCHEMA_FILE = "runbook.schema.json"


def _directory(directory: Path | None) -> Path:
    from settings import get_settings

    return directory or get_settings().runbook_dir


def _load_ok(directory: Path):
    """The runbooks in `directory` (a domain.runbooks.catalog.RunbookSet); any problem ends the command (exit 2)."""
    from service.runbooks import runbook_catalog

    found = runbook_catalog(directory)
    if found.problems:
        for line in found.problems:
            print(terminal_text(line))
        raise typer.Exit(2)
    return found


def read_alert_file(path: Path) -> list[dict]:
    """An Alertmanager webhook payload (`alerts: [...]`), a list of alerts, or one alert (`labels`, ...)."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    except FileNotFoundError:
        fail(f"{path}: not found", 2)
    except yaml.YAMLError as exc:
        fail(f"{path}: not JSON/YAML: {exc}", 2)
    if isinstance(document, dict) and "alerts" in document:
        document = document["alerts"]
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list) or not all(isinstance(a, dict) and "labels" in a for a in document):
        fail(f"{path}: expected an Alertmanager payload, a list of alerts or one alert with `labels`", 2)
    return document


def incident_for_alerts(alerts: list[dict], service: str | None):
    """The incident the gateway would open for these alerts, for a dry run."""
    from pydantic import ValidationError

    from service.runbooks import dry_run_alerts, dry_run_incident
    from settings import get_settings

    try:
        parsed = dry_run_alerts(alerts)
    except ValidationError as exc:
        fail(f"alert file: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", 2)
    return dry_run_incident(parsed, service, get_settings().policy_dir)


def render_plan(plan) -> str:
    """A domain.runbooks.plan.RunbookPlan as people read it."""
    lines = [f"runbook {plan.runbook}: {plan.description}", "inputs: " + (
        ", ".join(f"{k}={v}" for k, v in plan.inputs.items()) or "none")]
    for number, step in enumerate(plan.steps, 1):
        gate = "approval required" if step.approval else "runs at once"
        condition = f", only if {step.if_failed} failed" if step.if_failed else ""
        lines.append(f"{number}. {step.id} [{step.kind}; {gate}; on failure: {step.on_failure}{condition}]")
        lines.append(f"     do:       {step.action.summary}")
        if step.verify:
            lines.append(f"     verify:   {step.verify.action.summary} (within {step.verify.within_seconds:g}s, "
                         f"every {step.verify.every_seconds:g}s)")
        if step.rollback:
            lines.append(f"     rollback: {step.rollback.summary}")
    lines.append("(dry run: nothing was called)")
    return "\n".join(terminal_text(line) for line in lines)  # a newline in a description cannot forge a step


def register(app: typer.Typer) -> None:
    runbook = typer.Typer(help="Remediation runbooks: check, list, dry-run, run, cancel", no_args_is_help=True)
    app.add_typer(runbook, name="runbook")

    @runbook.command()
    def check(directory: Annotated[Path | None, typer.Argument(help="Runbook directory")] = None) -> None:
        """Print `ok`, or each problem as `file: path.to.field: reason` and exit 2."""
        found = _load_ok(_directory(directory))
        print(f"ok ({len(found.runbooks)} runbooks)")

    @runbook.command("list")
    def list_(
        directory: Annotated[Path | None, typer.Argument(help="Runbook directory")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """The runbooks, what they match and their steps (✋ = waits for approval)."""
        from service.runbooks import runbook_catalog

        found = runbook_catalog(_directory(directory))
        if as_json:
            print_json([r.model_dump(mode="json", by_alias=True) for r in found.runbooks])
        else:
            for item in found.runbooks:
                print(terminal_text(f"{item.name}: {item.description}"))
                print(terminal_text(f"  match: {_describe_match(item)}"))
                print("  steps: " + ", ".join(("✋" if s.needs_approval else "") + s.id for s in item.steps))
        for line in found.problems:
            print(terminal_text(f"problem: {line}"))

    @runbook.command()
    def schema(out: Annotated[Path | None, typer.Option(help="Directory to write runbook.schema.json into")] = None
               ) -> None:
        """Write (or print) the JSON Schema of runbook files."""
        from domain.runbooks.schema import runbook_json_schema

        text = json.dumps(runbook_json_schema(), indent=2, ensure_ascii=False) + "\n"
        if out is None:
            print(text, end="")
            return
        out.mkdir(parents=True, exist_ok=True)
        (out / SCHEMA_FILE).write_text(text, encoding="utf-8")
        print(out / SCHEMA_FILE)

    @runbook.command("dry-run")
    def dry_run(
        name: Annotated[str, typer.Argument(help="Runbook name, or path to a runbook file")],
        alert: Annotated[Path, typer.Option("--alert", help="Alert JSON/YAML (Alertmanager payload or one alert)")],
        directory: Annotated[Path | None, typer.Option("--dir", help="Runbook directory")] = None,
        service: Annotated[str | None, typer.Option(help="Incident service (default: the alert's service label)")]
        = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Print the resolved plan for an incident opened by this alert, without calling anything."""
        from domain.runbooks.inputs import RunbookError
        from service.runbooks import dry_run_plan

        item, where = _find_runbook(name, directory)
        state = incident_for_alerts(read_alert_file(alert), service)
        try:
            plan = dry_run_plan(item, state, str(where))
        except RunbookError as exc:
            for problem in exc.problems:
                print(terminal_text(f"refused: {problem}"))
            raise typer.Exit(1) from None
        if as_json:
            print_json(plan.model_dump(mode="json"))
        else:
            from domain.runbooks.inputs import matches

            if not matches(item, state):
                print(terminal_text(f"note: runbook {item.name} would not start by itself for this alert "
                                    f"({_describe_match(item)})"))
            print(render_plan(plan))

    @runbook.command("fake-api")
    def fake_api(
        port: Annotated[int, typer.Option(help="Game-ops admin API port")] = 8090,
        prometheus_port: Annotated[int, typer.Option(help="Fake Prometheus port")] = 9090,
    ) -> None:
        """Serve the in-memory fake game-ops admin API and Prometheus (the default runbook endpoints)."""
        import asyncio

        import uvicorn

        from cli.fake_gameops import HEALTHY_METRICS, FakePrometheus, GameOps, create_admin_api, create_prometheus_api

        servers = [
            uvicorn.Server(uvicorn.Config(create_admin_api(GameOps()), host="127.0.0.1", port=port)),
            uvicorn.Server(uvicorn.Config(create_prometheus_api(FakePrometheus(dict(HEALTHY_METRICS))),
                                          host="127.0.0.1", port=prometheus_port)),
        ]
        print(f"admin_api http://127.0.0.1:{port}  prometheus http://127.0.0.1:{prometheus_port}")

        async def serve() -> None:
            await asyncio.gather(*(server.serve() for server in servers))

        asyncio.run(serve())

    @runbook.command()
    def run(incident: Id, name: Annotated[str, typer.Argument(help="Runbook name")], by: By = None) -> None:
        """Start a runbook for an incident (e.g. one that was offered)."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.RunRunbook(by=who, runbook=name))

    @runbook.command()
    def cancel(
        incident: Id, name: Annotated[str, typer.Argument(help="Runbook name")], by: By = None,
        reason: Annotated[str | None, typer.Option(help="Why")] = None,
    ) -> None:
        """Stop a running runbook before its next step (changes already made stay; see the timeline)."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.CancelRunbook(by=who, runbook=name, reason=reason))

    @app.command()
    def approve(
        incident: Id, step: Annotated[str, typer.Argument(help="Step id, as the timeline shows it")], by: By = None,
        runbook_name: Annotated[str | None, typer.Option("--runbook", help="Only if two runbooks share the step")]
        = None,
    ) -> None:
        """Approve a runbook step that waits for a human."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.ApproveStep(by=who, step=step, runbook=runbook_name))

    @app.command()
    def reject(
        incident: Id, step: Annotated[str, typer.Argument(help="Step id")], *, by: By = None,
        reason: Annotated[str, typer.Option(help="Why (goes into the timeline)")],
        runbook_name: Annotated[str | None, typer.Option("--runbook", help="Only if two runbooks share the step")]
        = None,
    ) -> None:
        """Reject a runbook step: the run aborts."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.RejectStep(by=who, step=step, reason=reason, runbook=runbook_name))


def _describe_match(item) -> str:
    """What a domain.runbooks.schema.Runbook matches, in one line."""
    parts = [f"{k}={v}" for k, v in item.match.labels.items()]
    if item.match.services:
        parts.append("service in " + ",".join(item.match.services))
    if item.match.severities:
        parts.append("severity in " + ",".join(s.value for s in item.match.severities))
    return " ".join(parts) or "by hand only"


def _find_runbook(name: str, directory: Path | None) -> tuple:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        found = _load_ok(path.parent)
        for item in found.runbooks:
            if Path(found.files[item.name]).resolve() == path.resolve():
                return item, path.parent.resolve()
        fail(f"{path}: not a runbook", 2)
    found = _load_ok(_directory(directory))
    item = found.get(name)
    if item is None:
        fail(f"no runbook {name!r} in {found.directory} (known: {', '.join(r.name for r in found.runbooks)})", 2)
    return item, Path(found.directory)
