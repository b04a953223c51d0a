"""Drills on a Temporal server: start one (a DrillWorkflow driving a real incident workflow), wait for its
scorecard, or follow a live one's timeline until the scorecard is in; then archive a live drill's participants
as drill training records (docs/drills.md)."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from adapters.stores.ledger import Ledger
from domain.drills.playback import DrillRequest
from domain.drills.scorecard import Scorecard
from domain.incident.state import IncidentState
from domain.oncall.training import TrainingRecord
from domain.policy.model import Policy
from service import training
from service.errors import ServiceError
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


ARCHIVED_BY = "drill"


@dataclass
class Archive:
    recorded: list[TrainingRecord] = field(default_factory=list)
    not_recorded: list[tuple[str, str]] = field(default_factory=list)  # (person, why)


def not_recordable(card: Scorecard, policy: Policy) -> list[tuple[str, str]]:
    """(person, why) for the participants no training record can be kept for."""
    if card.mode != "live":
        return [(p.person, "an instant drill has no human participants") for p in card.participants]
    return [(p.person, "not listed under people in the on-call policy") for p in card.participants
            if p.person not in policy.oncall.people]


def archive(ledger_of: Callable[[], Ledger], policy: Policy, card: Scorecard) -> Archive:
    """Keep a live drill as training: a `drill` record per participant who is a person of the on-call policy,
    with their roles, evaluation and the whole scorecard. `ledger_of` is called only when someone is recorded."""
    result = Archive(not_recorded=not_recordable(card, policy))
    skipped = {person for person, _ in result.not_recorded}
    people = [p for p in card.participants if p.person not in skipped]
    if not people:
        return result
    ledger = ledger_of()
    hours = max(0.01, round((card.wall_seconds or 0) / 3600, 2))
    document = card.model_dump(mode="json")
    notes = f"live drill {card.name} (x{card.speed:g}), incident {card.incident_id}"
    for who in people:
        try:
            result.recorded.append(training.record(
                ledger, policy, person=who.person, kind="drill", by=ARCHIVED_BY, hours=hours, notes=notes,
                role=", ".join(r.value for r in who.roles) or None, evaluation=who.evaluation, scorecard=document))
        except ServiceError as exc:
            result.not_recorded.append((who.person, str(exc)))
    return result
