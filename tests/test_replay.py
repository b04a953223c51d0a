"""Workflow code must replay the histories of incidents that are already running (docs/upgrading.md).
A full incident is recorded on the time-skipping server and replayed against the code as it is; every
history kept in tests/histories/ (recorded from a released version) is replayed too."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from domain.decisions import Acknowledge, AddNote, MarkMitigated, Resolve, StartMitigation
from tests.helpers import running_worker, start_incident
from worker import PASSTHROUGH, WORKFLOWS
from workflows.incident import IncidentWorkflow

HISTORIES = Path(__file__).resolve().parent / "histories"


def replayer() -> Replayer:
    return Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter,
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)),
    )


async def test_a_whole_incident_replays_deterministically(time_env, task_queue, recorder):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue)
        await time_env.sleep(20 * 60)  # unacknowledged: the escalations fire
        for decision in (Acknowledge(by="minsu"), AddNote(by="minsu", text="rolled back"),
                         StartMitigation(by="minsu"), MarkMitigated(by="minsu"), Resolve(by="minsu", summary="ok")):
            await handle.execute_update(IncidentWorkflow.decide, decision)
        state = await handle.query(IncidentWorkflow.snapshot)
        history = await handle.fetch_history()
    assert [p.tier.value for p in state.pages][:2] == ["primary", "secondary"]
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_recorded_histories_of_earlier_versions_still_replay():
    files = sorted(HISTORIES.glob("*.json")) if HISTORIES.is_dir() else []
    if not files:
        pytest.skip("no released version yet: record histories at the first release (docs/upgrading.md)")
    for file in files:
        history = WorkflowHistory.from_json(file.stem, json.loads(file.read_text(encoding="utf-8")))
        result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{file.name}: {result.replay_failure}"
