"""service/decisions.py and service/incidents.py on a time-skipping server: what the incident shows after a
decision, and each refusal as the service error clients turn into one line or an HTTP status."""

from datetime import timedelta

import pytest

from domain.incident import decisions as d
from domain.incident.severity import Severity
from service.decisions import decide, send_decision, submit
from service.errors import DecisionRefused, IncidentClosed, IncidentNotFound, IncidentNotRunning
from service.incidents import read_incident, state_of
from testkit.helpers import running_worker, start_incident
from workflows.incident import WORKFLOW_ID_PREFIX


def incident_of(handle) -> str:
    return handle.id.removeprefix(WORKFLOW_ID_PREFIX)


async def test_a_decision_shows_in_the_incident_and_a_refused_one_says_why(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        incident = incident_of(await start_incident(time_env.client, task_queue, Severity.SEV2))
        result = await decide(time_env.client, incident, d.Acknowledge(by="minsu"))
        assert result.phase.value == "triaged"
        with pytest.raises(DecisionRefused) as refused:
            await send_decision(time_env.client, incident, d.Acknowledge(by="jiyoung"), timeout=10)
        assert refused.value.reason == "already acknowledged by minsu"
        assert str(refused.value) == "rejected: already acknowledged by minsu"
        state = state_of(await read_incident(time_env.client, incident))
    assert state.acknowledged_by == "minsu"
    assert [t.text for t in state.timeline if t.kind == "decision"] == ["minsu acknowledged"]


async def test_a_submitted_decision_that_does_not_apply_lands_in_the_timeline(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        incident = incident_of(await start_incident(time_env.client, task_queue, Severity.SEV2))
        await submit(time_env.client, incident, d.Acknowledge(by="minsu"), timeout=10)
        await submit(time_env.client, incident, d.Acknowledge(by="jiyoung"), timeout=10)
        await time_env.sleep(timedelta(seconds=2))
        state = state_of(await read_incident(time_env.client, incident))
    assert state.acknowledged_by == "minsu"
    assert [t.text for t in state.timeline if t.kind == "rejected"] == [
        "rejected acknowledge: already acknowledged by minsu"]


async def test_a_closed_incident_takes_no_decision(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV3)
        incident = incident_of(handle)
        await decide(time_env.client, incident, d.Resolve(by="minsu"))
        await decide(time_env.client, incident, d.Close(by="minsu"))
        await handle.result()
        with pytest.raises(IncidentClosed) as closed:
            await decide(time_env.client, incident, d.AddNote(text="late", by="minsu"))
        assert (closed.value.status, str(closed.value)) == ("completed", f"incident {incident} is closed (completed)")
        assert state_of(await read_incident(time_env.client, incident)).phase.value == "closed"


async def test_an_unknown_incident_is_not_found_by_every_path(time_env):
    with pytest.raises(IncidentNotFound, match="no incident 'nope' \\(see `incident list --all`\\)"):
        await decide(time_env.client, "nope", d.Acknowledge(by="minsu"))
    with pytest.raises(IncidentNotFound):
        await read_incident(time_env.client, "nope")
    with pytest.raises(IncidentNotRunning, match="^not found: "):
        await send_decision(time_env.client, "nope", d.Acknowledge(by="minsu"), timeout=10)
    with pytest.raises(IncidentNotRunning):
        await submit(time_env.client, "nope", d.Acknowledge(by="minsu"), timeout=10)
