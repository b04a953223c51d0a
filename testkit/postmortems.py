"""Reaching an incident's postmortem from a test or a benchmark: wait for the phase, then for the draft."""

from domain.incident.phases import Phase
from testkit.polling import wait_until
from workflows.incident import IncidentWorkflow
from workflows.postmortem import PostmortemWorkflow, postmortem_workflow_id


async def postmortem_of(env, incident_handle):
    state = await wait_until(lambda: in_phase(incident_handle, Phase.POSTMORTEM), "phase postmortem", timeout=10)
    pm = env.client.get_workflow_handle_for(PostmortemWorkflow.run, postmortem_workflow_id(state.id))
    await wait_until(lambda: _drafted(pm), "the postmortem draft", timeout=10)
    return state, pm


async def in_phase(handle, phase):
    state = await handle.query(IncidentWorkflow.snapshot)
    return state if state and state.phase == phase else None


async def _drafted(pm):
    try:
        return (await pm.query(PostmortemWorkflow.status)).record
    except Exception:
        return None
