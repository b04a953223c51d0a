"""`incident readiness`: the readiness checklist, evaluated live (docs/oncall.md, "Readiness"); exit 1 when not
ready, so a deploy can be gated on it. The checks themselves are service/readiness.py."""

from typing import Annotated

import typer

from cli.common import print_json, run
from cli.remote_config import remote_target
from domain.common.text import terminal_text


def register(app: typer.Typer) -> None:
    @app.command("readiness")
    def readiness_command(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    ) -> None:
        """Rotation, escalation, tools (reachable), training, policies/runbooks/templates, this quarter's drill:
        each item pass or fail, and why. Exit 0 when ready, 1 when not."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_learning import readiness as readiness_remotely

            report = readiness_remotely(remote)
        else:
            from service.readiness import readiness
            from settings import get_settings

            async def body():
                return await readiness(get_settings())

            report = run(body)
        if as_json:
            print_json(report.model_dump(mode="json"))
        else:
            for item in report.items:
                mark = "pass" if item.passed else "FAIL"
                print(terminal_text(f"{mark}  {item.title}: {item.why}"))
            print("ready" if report.ready else "not ready")
        if not report.ready:
            raise typer.Exit(1)
