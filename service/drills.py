"""Drills on a Temporal server: start one (a DrillWorkflow driving a real incident workflow), wait for its
scorecard, or follow a live one's timeline until the scorecard is in (docs/drills.md)."""

import asyncio
import time
from collections.abc import Callable

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from domain.drills.playback import DrillRequest
from domain.drills.scorecard import Scorecard
from domain.incident.state import IncidentState
from service.incident_reader import query_snapshot
from service.temporal import workflow_id
from workflows.drill import DRILL_ID_PREFIX, DrillWorkflow
from workflows.incident import IncidentWorkflow


async def start_drill(client: Client, task_queue: str, request: DrillRequest) -> WorkflowHandle:
    return await client.start_workflow(
        DrillWorkflow.run, request, id=DRILL_ID_PREFIX + request.incident_id, task_queue=task_queue,
        static_summary=f"Drill {request.scenario.name}"[:200],
    )


async def play(client: Client, task_queue: str, request: DrillRequest) -> Scorecard:
    """Start the drill and wait for its scorecard (`wall_seconds`: how long that took here)."""
    began = time.monotonic()
    handle = await start_drill(client, task_queue, request)
    card = await handle.result()
    card.wall_seconds = round(time.monotonic() - began, 3)
    return card


async def run_live(client: Client, task_queue: str, request: DrillRequest,
                   on_entry: Callable[[IncidentState, int], None] | None = None,
                   poll_seconds: float = 1.0) -> Scorecard:
    """Start the drill on the running stack and follow the incident's timeline until the scorecard is in.
    Interrupting it terminates the drill (and with it the drill incident)."""
    began = time.monotonic()
    handle = await start_drill(client, task_queue, request)
    incident = client.get_workflow_handle_for(IncidentWorkflow.run, workflow_id(request.incident_id))
    result = asyncio.ensure_future(handle.result())
    shown = 0
    try:
        while not result.done():
            await asyncio.wait([result], timeout=poll_seconds)
            if on_entry is not None and not result.done():
                shown = await _follow(incident, shown, on_entry)
        card = result.result()
    except asyncio.CancelledError:
        await handle.terminate(reason="drill interrupted")
        raise
    card.wall_seconds = round(time.monotonic() - began, 3)
    return card


async def _follow(incident: WorkflowHandle, shown: int, on_entry: Callable[[IncidentState, int], None]) -> int:
    try:
        state = await query_snapshot(incident)
    except RPCError:
        return shown  # not started yet, or finishing
    if state is None:
        return shown
    for index in range(shown, len(state.timeline)):
        on_entry(state, index)
    return len(state.timeline)
