"""`incident config show|table`: the effective configuration (secrets masked) and the documented table."""

from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, print_json


def load_settings():
    """The settings as the worker and gateway would read them; a bad value names its environment variable."""
    from pydantic import ValidationError

    from cli.config_table import env_names
    from settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            info = Settings.model_fields.get(field)
            where = " / ".join(env_names(field, info)) if info else field
            problems.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
        fail("invalid configuration: " + "; ".join(problems), code=2)


def _dotenv() -> dict[str, str | None]:
    from dotenv import dotenv_values

    from settings import Settings

    env_file = Settings.model_config.get("env_file")
    return dict(dotenv_values(env_file)) if env_file and Path(env_file).exists() else {}


def register(app: typer.Typer) -> None:
    config = typer.Typer(help="Show the effective configuration (docs/configuration.md)", no_args_is_help=True)
    app.add_typer(config, name="config")

    @config.command()
    def show(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False) -> None:
        """Every setting's effective value and where it came from (environment, .env, default); secrets
        and passwords inside URLs are masked."""
        from cli.config_table import rows

        found = rows(load_settings(), _dotenv())
        if as_json:
            print_json({row["setting"]: {k: row[k] for k in ("env", "value", "source", "secret")} for row in found})
            return
        width = max(len(f"{row['env'][0]}={row['value']}") for row in found)
        for row in found:
            print(f"{row['env'][0]}={row['value']}".ljust(width) + f"  # {row['source']}")

    @config.command()
    def table(write: Annotated[Path | None, typer.Option(help="Update the table inside this Markdown file")] = None
              ) -> None:
        """The Markdown table of every setting (docs/configuration.md is generated with --write)."""
        from cli.config_table import markdown_table, replace_table

        if write is None:
            print(markdown_table())
            return
        write.write_text(replace_table(write.read_text(encoding="utf-8") if write.exists() else ""),
                         encoding="utf-8")
        print(f"updated {write}")
