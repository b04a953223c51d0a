"""`incident`: the command-line entry point."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import (
    action_cmd,
    audit_cmd,
    config_cmd,
    drill_cmd,
    incidents,
    oncall_cmd,
    periodic_cmd,
    policy_cmd,
    postmortem_cmd,
    readiness_cmd,
    report_cmd,
    runbook_cmd,
    token_cmd,
    training_cmd,
)
from cli.common import CommandError
from cli.settings_errors import BAD_SETTINGS_EXIT, settings_error_line

app = typer.Typer(
    name="incident", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="incidentflow — durable incident response on Temporal.",
)
incidents.register(app)
policy_cmd.register(app)
drill_cmd.register(app)
oncall_cmd.register(app)
runbook_cmd.register(app)
postmortem_cmd.register(app)
action_cmd.register(app)
report_cmd.register(app)
config_cmd.register(app)
audit_cmd.register(app)
token_cmd.register(app)
training_cmd.register(app)
periodic_cmd.register(app)
readiness_cmd.register(app)


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="Where the Temporal database and incidentflow data live")] = Path(
        ".incidentflow"),
    temporal_port: Annotated[int, typer.Option(help="Temporal frontend (gRPC) port")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal UI port")] = 8233,
    port: Annotated[int, typer.Option(help="Gateway HTTP port")] = 8080,
) -> None:
    """Run the embedded stack: Temporal dev server + worker + gateway. Ctrl-C stops it."""
    from adapters.policy_files import PolicyError, load_policy
    from cli.dev import run_dev
    from cli.startup import start_process
    from settings import get_settings

    start_process()
    try:
        load_policy(get_settings().policy_dir)
    except PolicyError as exc:
        print("error: the policy is invalid; fix it before starting:\n" + str(exc), file=sys.stderr)
        raise typer.Exit(2) from None
    raise typer.Exit(run_dev(data_dir, temporal_port, ui_port, port))


@app.command()
def worker() -> None:
    """Run a worker (connects with TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE)."""
    from worker import main

    main()


@app.command("tool-worker")
def tool_worker(
    task_queue: Annotated[str, typer.Option(help="The queue runbook actions name in `task_queue:`")],
) -> None:
    """Run only remediation steps on this host (where an allow-listed tool lives)."""
    import asyncio

    from cli.startup import start_process
    from worker import run_tool_worker

    start_process()
    asyncio.run(run_tool_worker(task_queue))


@app.command()
def gateway(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8080,
) -> None:
    """Run the HTTP gateway (webhooks, REST API, status page, /metrics)."""
    import uvicorn

    from cli.startup import start_process

    start_process()
    # by name, not by import: the CLI and the gateway are separate clients of the service layer
    uvicorn.run("gateway.app:served_app", factory=True, host=host, port=port, log_level="warning")


def _click_error_types() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """Click's usage errors, and those of the click that typer ≥ 0.25 vendors (`typer._click`)."""
    import importlib

    modules = []
    for name in ("click.exceptions", "typer._click.exceptions"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    found = [(getattr(m, "ClickException", None), getattr(m, "Abort", None)) for m in modules]
    return tuple(c for c, _ in found if c), tuple(a for _, a in found if a)


def run() -> None:
    """Console-script entry. Leaves with os._exit: the Temporal SDK can abort at interpreter exit
    (sdk-python #300), which would turn a good command into a crash."""
    code = 0
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.code
    except typer.Exit as exc:
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # click usage errors and the like
        from pydantic import ValidationError

        from domain.common.validation_errors import describe_errors

        clicks, aborts = _click_error_types()
        if isinstance(exc, clicks):  # a usage error: one line, exit 2 (`incident COMMAND --help` says more)
            print(f"error: {exc.format_message()}", file=sys.stderr)
            code = exc.exit_code
        elif isinstance(exc, aborts):
            code = 1
        elif (line := settings_error_line(exc)) is not None:  # settings are read lazily, by any command
            print(f"error: {line}", file=sys.stderr)
            code = BAD_SETTINGS_EXIT
        elif isinstance(exc, ValidationError):  # an argument over the limits every entry has (domain/common/limits.py)
            for line in describe_errors("error: invalid input", exc):
                print(line, file=sys.stderr)
            code = 2
        else:
            raise
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
