"""The workflow histories kept in tests/histories/ (recorded from a released version by
bench/chaos/record_histories.py), read for replay (docs/upgrading.md)."""

import json
from pathlib import Path

from temporalio.client import WorkflowHistory

from testkit.environment import HISTORIES


def stored_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*.json")) if HISTORIES.is_dir() else []


def load_history(file: Path) -> WorkflowHistory:
    document = json.loads(file.read_text(encoding="utf-8"))
    # The recorded workflow id, when the file has one: a runbook run's id is derived from its incident's, so
    # replaying under another id would start a different child.
    return WorkflowHistory.from_json(document.get("workflowId", file.stem), document)
