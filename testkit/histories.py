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


async def patch_answers(monkeypatch, patches: set[str]) -> list[tuple[str, str, bool]]:
    """Replay every stored history with `workflow.patched` wrapped: (file, patch, answer) for each of `patches`
    asked. A history that fails to replay fails the test, naming the file."""
    from temporalio import workflow

    from worker import build_replayer

    answers: list[tuple[str, str, bool]] = []
    original = workflow.patched
    current = {"file": ""}

    def patched(patch: str) -> bool:
        answer = original(patch)
        if patch in patches:
            answers.append((current["file"], patch, answer))
        return answer

    monkeypatch.setattr(workflow, "patched", patched)
    for file in stored_histories():
        current["file"] = file.name
        result = await build_replayer().replay_workflow(load_history(file), raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{file.name}: {result.replay_failure}"
    return answers
