"""`incident policy check|schema`: validate the policy YAML and publish its JSON Schema for editors."""

import json
from pathlib import Path
from typing import Annotated

import typer


def schemas() -> dict:
    """Policy file name → the pydantic model of its contents."""
    from adapters.policy_files import INCIDENT_FILE, ONCALL_FILE
    from domain.policy.incident_policy import IncidentPolicy
    from domain.policy.oncall_policy import OnCallPolicy

    return {INCIDENT_FILE: IncidentPolicy, ONCALL_FILE: OnCallPolicy}


def schema_documents() -> dict[str, dict]:
    """File name (`<policy>.schema.json`) → JSON Schema."""
    return {name.replace(".yaml", ".schema.json"): model.model_json_schema() for name, model in schemas().items()}


def register(app: typer.Typer) -> None:
    policy = typer.Typer(help="Check and describe the incident policy", no_args_is_help=True)
    app.add_typer(policy, name="policy")

    @policy.command()
    def check(directory: Annotated[Path | None, typer.Argument(help="Policy directory")] = None) -> None:
        """Print `ok`, or each problem as `file: path.to.field: reason` and exit 2."""
        from adapters.policy_files import PolicyError, load_policy
        from settings import get_settings

        try:
            load_policy(directory or get_settings().policy_dir)
        except PolicyError as exc:
            for line in exc.problems:
                print(line)
            raise typer.Exit(2) from None
        print("ok")

    @policy.command()
    def schema(out: Annotated[Path | None, typer.Option(help="Directory to write *.schema.json into")] = None) -> None:
        """Write (or print) the JSON Schema of both policy files."""
        documents = schema_documents()
        if out is None:
            print(json.dumps(documents, indent=2, ensure_ascii=False))
            return
        out.mkdir(parents=True, exist_ok=True)
        for name, document in documents.items():
            (out / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print(out / name)
