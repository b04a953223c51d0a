"""Workflow code must replay the histories of incidents that are already running (docs/upgrading.md).
A full incident is recorded on the time-skipping server and replayed against the code as it is; every
history kept in tests/histories/ (recorded from a released version by bench/chaos/record_histories.py:
incidents, runbook runs, postmortems, action items, drills) is replayed too."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from domain.incident.decisions import Acknowledge, AddNote, MarkMitigated, Resolve, StartMitigation
from testkit.environment import HISTORIES
from testkit.helpers import running_worker, start_incident
from worker import build_replayer
from workflows.action_item import ActionItemWorkflow
from workflows.drill import DrillWorkflow
from workflows.incident import IncidentWorkflow
from workflows.postmortem import PostmortemWorkflow
from workflows.runbook import RunbookWorkflow


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
    result = await build_replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def stored_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*.json")) if HISTORIES.is_dir() else []


def load_history(file: Path) -> WorkflowHistory:
    document = json.loads(file.read_text(encoding="utf-8"))
    # The recorded workflow id, when the file has one: a runbook run's id is derived from its incident's, so
    # replaying under another id would start a different child.
    return WorkflowHistory.from_json(document.get("workflowId", file.stem), document)


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


@pytest.mark.parametrize("file", stored_histories(), ids=lambda file: file.name)
async def test_recorded_history_of_an_earlier_version_still_replays(file):
    result = await build_replayer().replay_workflow(load_history(file), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{file.name}: {result.replay_failure}"


def test_stored_histories_include_every_workflow_of_the_five_scenarios():
    files = stored_histories()
    if not files:
        pytest.skip("no released version yet: record histories at the first release (docs/upgrading.md)")
    recorded = {workflow_type(load_history(file)) for file in files}
    expected = {w.__name__ for w in (IncidentWorkflow, RunbookWorkflow, PostmortemWorkflow, ActionItemWorkflow,
                                     DrillWorkflow)}
    assert expected - recorded == set(), "re-record with `python -m bench.chaos.record_histories`"
