"""Incidents as every client sees them: declare one, read one, list them, and the JSON of `incident show --json`
/ `GET /api/incidents/ID` (one shape for both). Decisions: service/decisions.py."""

import asyncio
import re
import secrets
from datetime import datetime

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from domain.common.limits import ACTOR_MAX, clip
from domain.identity.principal import Principal
from domain.incident.state import IncidentStart, IncidentState
from service.audit import LedgerSource
from service.authorization import authorize
from service.compliance import compliance_json
from service.errors import ServiceError
from service.failing import FailingIncident
from service.incident_reader import failing_or_none, query_snapshot, read_incidents
from service.temporal import incident_handle, incident_id, workflow_id
from settings import get_settings
from workflows.incident import IncidentWorkflow
from workflows.options import INCIDENT_TASK_TIMEOUT

Entry = IncidentState | FailingIncident  # a failing incident comes with its last known state


def new_incident_id(service: str, now: datetime) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", service.lower()).strip("-")[:24] or "incident"
    return f"{now:%Y%m%d}-{slug}-{secrets.token_hex(2)}"


async def declare_incident(client: Client, start: IncidentStart, task_queue: str | None = None) -> str:
    await client.start_workflow(
        IncidentWorkflow.run, start, id=workflow_id(start.id), task_queue=task_queue or get_settings().task_queue,
        task_timeout=INCIDENT_TASK_TIMEOUT,
        static_summary=start.ui_summary(), static_details=start.ui_details(),
    )
    return start.id


async def declare_as(client: Client, principal: Principal, start: IncidentStart, *, task_queue: str | None = None,
                     ledger: LedgerSource = None, claimed_by_is_actor: bool = False) -> str:
    """`declare_incident` for `principal`: authorized (Forbidden), audited, and `declared_by` the real actor as in
    `authorization.acting`; `claimed_by_is_actor` for the local CLI, whose `--by` is the actor."""
    if not claimed_by_is_actor:
        start = start.model_copy(update={"declared_by": clip(principal.actor(start.declared_by), ACTOR_MAX)})
    await asyncio.to_thread(authorize, principal, "declare", incident=start.id, actor=start.declared_by,
                            ledger=ledger, audit_allowed=True)
    return await declare_incident(client, start, task_queue)


async def fetch_state(handle: WorkflowHandle, client: Client) -> Entry:
    description = await handle.describe()
    if description.status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    try:
        state = await query_snapshot(handle)
    except RPCError:  # refused ("Workflow Task in failed state") or unanswered: say why if it keeps failing
        if (failing := await failing_or_none(client, handle)) is not None:
            return failing
        raise
    if state is None:
        raise ServiceError(f"incident {incident_id(handle.id)} is still starting; try again in a moment")
    return state


async def read_incident(client: Client, incident: str) -> Entry:
    """One incident by id: IncidentNotFound when there is none, ServiceError while it is still starting."""
    return await fetch_state(await incident_handle(client, incident), client)


async def fetch_incidents(client: Client, open_only: bool) -> list[Entry]:
    """Incidents from Temporal's visibility, newest first. One whose workflow task keeps failing comes as a
    FailingIncident (its last known state); any other that cannot answer is skipped with a warning."""
    query = "WorkflowType = 'IncidentWorkflow'"
    if open_only:
        query += " AND ExecutionStatus = 'Running'"
    return sorted(await read_incidents(client, query), key=lambda s: state_of(s).detected_at, reverse=True)


def state_of(entry: Entry) -> IncidentState:
    return entry.state if isinstance(entry, FailingIncident) else entry


def _state_fields(state: IncidentState) -> dict:
    return state.model_dump(mode="json", exclude={"fired", "manual_escalations"})


def _failing_json(entry: Entry) -> dict | None:
    """`failing`: null, or since when the incident's workflow task keeps failing (the rest is its last known
    state, from where `known_from` says)."""
    if not isinstance(entry, FailingIncident):
        return None
    return entry.failing.model_dump(mode="json")


def state_json(entry: Entry, settings=None) -> dict:
    """`incident show --json` and `GET /api/incidents/{id}` (`settings`: the gateway's). Reads the policy and
    the ledger (the procedure-compliance score after resolution): call it off the event loop in async code."""
    state = state_of(entry)
    return {**_state_fields(state), "compliance": compliance_json(state, settings), "failing": _failing_json(entry)}


def summary(entry: Entry) -> dict:
    keys = ("id", "title", "service", "severity", "phase", "drill", "acknowledged_by", "started_at",
            "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "roles")
    data = _state_fields(state_of(entry))
    return {**{k: data[k] for k in keys}, "failing": _failing_json(entry)}
