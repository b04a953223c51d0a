"""`incident report weekly|monthly [--period 2026-W47|2026-11] [--json] [--out DIR]`."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from cli.common import fail, print_json
from cli.learning_common import ledger, policy


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        kind: Annotated[str, typer.Argument(metavar="weekly|monthly")],
        period: Annotated[str | None, typer.Option(help="2026-W47 or 2026-11; default: the current one")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
        out: Annotated[Path | None, typer.Option(help="Directory for the Markdown and PNG (default <data>/reports)")]
        = None,
    ) -> None:
        """The incident review: metrics against targets, postmortems, action items, compliance, chart."""
        from cli.remote_config import stack_only

        stack_only("report")
        from service.reports import review_period, write_review
        from settings import get_settings

        if kind not in ("weekly", "monthly"):
            fail(f"{kind!r}: use `incident report weekly` or `incident report monthly`", 2)
        kind_: Literal["weekly", "monthly"] = kind  # type: ignore[assignment]
        policy_ = policy()
        now = datetime.now(UTC)
        try:
            chosen = review_period(policy_, kind_, period, now)
        except ValueError as exc:
            fail(str(exc), 2)
        written = write_review(ledger(), policy_, chosen, out or get_settings().data_dir / "reports", now)
        if as_json:
            print_json({"markdown_path": written.markdown_path, "chart_path": written.chart_path,
                        **written.report.model_dump(mode="json")})
        else:
            print(written.markdown)
            print(f"written: {written.markdown_path} and {written.chart_path}")
