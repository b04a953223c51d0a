"""Workflow code must replay the histories of incidents that are already running (docs/upgrading.md).
A full incident is recorded on the time-skipping server and replayed against the code as it is; every
history kept in tests/histories/ (recorded from a released version by bench/chaos/record_histories.py:
incidents, runbook runs, postmortems, action items, drills) is replayed too."""

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory

from domain.incident.decisions import Acknowledge, AddNote, MarkMitigated, Resolve, StartMitigation
from testkit.environment import PROJECT
from testkit.helpers import running_worker, start_incident
from testkit.histories import load_history, stored_histories
from worker import build_replayer
from workflows import incident_versions as versions
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


async def test_no_stored_history_takes_the_old_path_of_a_deprecated_patch(monkeypatch):
    """A deprecated patch keeps only its new path, so asked as `patched()` instead, every stored history that
    reaches it must answer True (docs/upgrading.md, "Patches of the incident workflow")."""
    answers: list[tuple[str, str, bool]] = []
    replaying = {"file": ""}
    monkeypatch.setattr(workflow, "deprecate_patch", lambda patch, **options: answers.append(
        (replaying["file"], patch, workflow.patched(patch, **options))))
    for file in stored_histories():
        replaying["file"] = file.name
        result = await build_replayer().replay_workflow(load_history(file), raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{file.name}: {result.replay_failure}"
    assert {patch for _, patch, _ in answers} == {versions.TIER_CLAIMED_WHEN_PLANNED, versions.RUNBOOK_LOAD_WAKES_LOOP}
    assert [answer for answer in answers if not answer[2]] == []


def test_every_patch_of_the_incident_workflow_is_recorded_in_the_upgrade_notes():
    notes = (PROJECT / "docs" / "upgrading.md").read_text(encoding="utf-8")
    patches = [value for name, value in vars(versions).items() if name.isupper() and isinstance(value, str)]
    assert len(patches) == 9 and [p for p in patches if f"| `{p}` |" not in notes] == []
