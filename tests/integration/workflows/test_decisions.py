"""Decisions: invalid ones are rejected with a reason and leave the workflow history unchanged."""

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.incident import decisions as d
from domain.incident.severity import Severity
from testkit.helpers import running_worker, start_incident
from workflows.incident import IncidentWorkflow


async def history_length(handle) -> int:
    return len((await handle.fetch_history()).events)


async def rejection(handle, decision) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(IncidentWorkflow.decide, decision)
    return str(caught.value.cause)


async def test_invalid_decisions_are_rejected_and_write_nothing(dev_client, recorder, task_queue):
    # On the real server: the Java time-skipping server persists the speculative workflow task of a
    # rejected update, the real one does not.
    async with running_worker(dev_client, task_queue, recorder):
        handle = await start_incident(dev_client, task_queue, Severity.SEV2)
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="minsu"))
        await asyncio.sleep(1)
        before = await history_length(handle)

        assert "already acknowledged by minsu" in await rejection(handle, d.Acknowledge(by="jiyoung"))
        assert "severity is already sev2" in await rejection(handle, d.SetSeverity(severity=Severity.SEV2, by="x"))
        assert "no checklist item 'nope'" in await rejection(handle, d.CheckItem(item="nope", by="x"))
        assert "resolve it before closing" in await rejection(handle, d.Close(by="x"))

        assert await history_length(handle) == before
        state = await handle.query(IncidentWorkflow.snapshot)
        assert state.acknowledged_by == "minsu"
        assert not [t for t in state.timeline if t.kind == "rejected"]


async def test_resolved_incident_rejects_open_only_decisions(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV3)
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="minsu"))
        message = await rejection(handle, d.Resolve(by="minsu"))
        assert "already resolved; resolve no longer applies" in message
        assert "already resolved" in await rejection(handle, d.EscalateNow(by="minsu"))
        await handle.execute_update(IncidentWorkflow.decide, d.Close(by="minsu"))
        state = await handle.result()
    assert state.phase.value == "closed" and state.closed_at is not None


async def test_invalid_signal_lands_in_the_timeline_as_rejected(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        await handle.signal(IncidentWorkflow.submit, d.Acknowledge(by="minsu"))
        await handle.signal(IncidentWorkflow.submit, d.Acknowledge(by="jiyoung"))
        await time_env.sleep(timedelta(seconds=2))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert state.acknowledged_by == "minsu"
    rejected = [t for t in state.timeline if t.kind == "rejected"]
    assert len(rejected) == 1
    assert rejected[0].actor == "jiyoung"
    assert rejected[0].text == "rejected acknowledge: already acknowledged by minsu"


async def test_every_decision_is_in_the_timeline_with_who_made_it(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        for decision in (
            d.Acknowledge(by="minsu"),
            d.AssignRole(role="ic", to="jiyoung", by="minsu"),
            d.AddNote(text="error rate 35% on checkout", by="jiyoung"),
            d.StartMitigation(by="jiyoung"),
            d.MarkMitigated(by="jiyoung"),
            d.Resolve(by="jiyoung", summary="rolled back"),
        ):
            await handle.execute_update(IncidentWorkflow.decide, decision)
        state = await handle.query(IncidentWorkflow.snapshot)
    people = [(t.actor, t.text) for t in state.timeline if t.kind in ("decision", "note")]
    assert people == [
        ("minsu", "minsu acknowledged"),
        ("minsu", "jiyoung is now ic (assigned by minsu)"),
        ("jiyoung", "error rate 35% on checkout"),
        ("jiyoung", "jiyoung started mitigation"),
        ("jiyoung", "jiyoung marked the incident mitigated"),
        ("jiyoung", "jiyoung resolved the incident: rolled back"),
    ]
    phases = [t.text for t in state.timeline if t.kind == "phase"]
    assert phases[:4] == ["detected → triaged", "triaged → mitigating", "mitigating → mitigated",
                          "mitigated → resolved"]
    assert phases[4:] in ([], ["resolved → postmortem"])  # sev1 owes a postmortem (issue 7)
    assert state.roles.ic == "jiyoung"
    assert next(c for c in state.checklist if c.item == "ic-named").done
