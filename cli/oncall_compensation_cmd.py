"""`incident oncall compensation --month 2026-11 [--format md|csv|json] [--out FILE]`: the monthly on-call
compensation report (docs/oncall.md, "Compensation"); what it reads is service/compensation.py."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import typer

from cli.common import fail, print_json, run
from cli.remote_config import remote_target
from domain.common.text import terminal_text

Format = Literal["md", "csv", "json"]


def register(oncall: typer.Typer) -> None:
    @oncall.command()
    def compensation(
        month: Annotated[str | None, typer.Option("--month", help="e.g. 2026-11; default: this month")] = None,
        output: Annotated[Format, typer.Option("--format", help="md (a Markdown table), csv or json")] = "md",
        out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal")]
        = None,
    ) -> None:
        """Hours on call (off-hours, weekend, public holiday), pages, night pages, incidents, MTTA and pay per
        person for a month, priced with the policy's `compensation` rates."""
        from domain.oncall.compensation import MonthError, parse_month
        from domain.oncall.compensation_output import render_csv, render_markdown

        if month is not None:
            try:
                parse_month(month)
            except MonthError as exc:
                fail(f"--month: {exc}", 2)
        remote = remote_target()
        if remote is not None:
            from cli.remote_admin import compensation_report as report_remotely

            chosen, report = report_remotely(remote, month)
        else:
            chosen, report = _report_locally(month)
        if output == "json" and out is None:
            print_json(report.model_dump(mode="json"))
            return
        text = (report.model_dump_json(indent=2) + "\n" if output == "json"
                else render_csv(report) if output == "csv" else render_markdown(report))
        if out is None:
            print(terminal_text(text, multiline=True), end="")
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"--out {out}: {exc.strerror or exc}")
        print(f"wrote the {chosen} compensation report ({len(report.rows)} people) to {out}")


def _report_locally(month: str | None):
    from cli.common import connect
    from cli.oncall_cmd import _overrides, _policy
    from service.compensation import compensation_report

    policy = _policy()
    zone = policy.oncall.rotation.timezone
    chosen = month or datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m")
    overrides = _overrides()

    async def body():
        try:
            return await compensation_report(await connect(), policy, chosen, overrides)
        except ValueError as exc:
            fail(str(exc))

    return chosen, run(body)
