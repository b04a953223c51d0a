"""`/api/incidents`: the CLI's declare / list / show / decide over HTTP, with the very same JSON."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from domain.incident.decisions import DecisionResult, OutsideDecision
from domain.incident.state import IncidentStart
from gateway.context import Gateway, gateway_of
from gateway.payloads import DeclaredIncident, DeclareRequest
from gateway.temporal import RPC_TIMEOUT, unavailable_as
from service import decisions
from service.errors import (
    DecisionPending,
    DecisionRefused,
    IncidentClosed,
    IncidentNotFound,
    IncidentNotRunning,
    ServiceError,
)
from service.incidents import declare_incident, fetch_incidents, new_incident_id, read_incident, state_json, summary
from service.temporal import workflow_id

router = APIRouter(prefix="/api", tags=["incidents"])
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
UPDATE_TIMEOUT_SECONDS = 20.0
REFUSALS = {
    401: {"description": "Missing or wrong bearer token"},
    404: {"description": "No such incident"},
    503: {"description": "Temporal unreachable"},
}


@router.post("/incidents", status_code=201, response_model=DeclaredIncident, responses=REFUSALS,
             summary="Declare an incident (like `incident declare`)")
async def declare(body: DeclareRequest, gateway: GatewayDep) -> DeclaredIncident:
    start = IncidentStart(id=new_incident_id(body.service, datetime.now(UTC)), title=body.title,
                          service=body.service, severity=body.severity, impact=body.impact, declared_by=body.by,
                          source="api", policy=gateway.policy())
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        incident = await declare_incident(client, start, task_queue=gateway.settings.task_queue)
    return DeclaredIncident(id=incident, workflow_id=workflow_id(incident))


@router.get("/incidents", responses=REFUSALS,
            summary="Incidents, newest first (like `incident list --json`); `failing` is set on one whose workflow "
                    "task keeps failing, listed from its last known state")
async def list_incidents(
    gateway: GatewayDep,
    open_: Annotated[bool, Query(alias="open", description="Only incidents not yet closed")] = False,
) -> list[dict]:
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        states = await fetch_incidents(client, open_only=open_)
    return [summary(s) for s in states]


@router.get("/incidents/{incident}", responses=REFUSALS,
            summary="One incident (same JSON as `incident show --json`); `failing` as in the list")
async def show(incident: str, gateway: GatewayDep) -> dict:
    client = await gateway.temporal.client()
    try:
        with unavailable_as(gateway.temporal):
            state = await read_incident(client, incident)
        # state_json reads the policy and the ledger (the compliance score): off the event loop
        return await asyncio.to_thread(state_json, state, gateway.settings)
    except IncidentNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ServiceError as exc:  # still starting
        raise HTTPException(409, str(exc)) from None


@router.post("/incidents/{incident}/decisions", response_model=DecisionResult,
             responses={**REFUSALS, 409: {"description": "The incident's validator refused it; `detail` says why"},
                        422: {"description": "Not a valid decision; `detail` names the field"}},
             summary="Apply a decision (a Temporal update with a validator)")
async def decide(incident: str, decision: OutsideDecision, gateway: GatewayDep) -> DecisionResult:
    client = await gateway.temporal.client()
    try:
        with unavailable_as(gateway.temporal):
            return await decisions.decide(client, incident, decision, timeout=UPDATE_TIMEOUT_SECONDS,
                                          rpc_timeout=RPC_TIMEOUT)
    except IncidentNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except IncidentClosed as exc:
        raise HTTPException(409, f"incident {incident} is closed ({exc.status})") from None
    except IncidentNotRunning:
        raise HTTPException(409, f"incident {incident} is closed") from None
    except DecisionRefused as exc:
        raise HTTPException(409, str(exc)) from None
    except DecisionPending:
        raise HTTPException(504, f"no answer from the incident's worker within {UPDATE_TIMEOUT_SECONDS:.0f}s; "
                                 f"the decision may still apply — check GET /api/incidents/{incident}") from None
