"""`/api/incidents`: the CLI's declare / list / show / decide over HTTP, with the very same JSON, and `/api/whoami`
for the CLI's `incident login`. Every route checks the caller's role first (docs/security.md, "Roles and the audit
log"): a refusal is a 403, audited."""

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from domain.identity.principal import Principal
from domain.incident.decisions import DecisionResult, OutsideDecision
from domain.incident.state import IncidentStart
from gateway.context import Gateway, gateway_of
from gateway.payloads import DeclaredIncident, DeclareRequest
from gateway.principal import PrincipalDep
from gateway.temporal import RPC_TIMEOUT, unavailable_as
from service import decisions
from service.authorization import authorize
from service.errors import (
    DecisionPending,
    DecisionRefused,
    Forbidden,
    IncidentClosed,
    IncidentNotFound,
    IncidentNotRunning,
    ServiceError,
)
from service.incidents import declare_as, fetch_incidents, new_incident_id, read_incident, state_json, summary
from service.temporal import incident_id, workflow_id

router = APIRouter(prefix="/api", tags=["incidents"])
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
UPDATE_TIMEOUT_SECONDS = 20.0
REFUSALS = {
    401: {"description": "Missing or wrong bearer token"},
    403: {"description": "The caller's role does not allow it; `detail` says why (audited)"},
    404: {"description": "No such incident"},
    503: {"description": "Temporal unreachable"},
}


@router.post("/incidents", status_code=201, response_model=DeclaredIncident, responses=REFUSALS,
             summary="Declare an incident (like `incident declare`)")
async def declare(body: DeclareRequest, gateway: GatewayDep, principal: PrincipalDep) -> DeclaredIncident:
    start = IncidentStart(id=new_incident_id(body.service, datetime.now(UTC)), title=body.title,
                          service=body.service, severity=body.severity, impact=body.impact, declared_by=body.by,
                          source="api", policy=gateway.policy())
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal), forbidden_as_403():
        incident = await declare_as(client, principal, start, task_queue=gateway.settings.task_queue,
                                    ledger=gateway.ledger)
    return DeclaredIncident(id=incident, workflow_id=workflow_id(incident))


@router.get("/incidents", responses=REFUSALS,
            summary="Incidents, newest first (like `incident list --json`); `failing` is set on one whose workflow "
                    "task keeps failing, listed from its last known state")
async def list_incidents(
    gateway: GatewayDep, principal: PrincipalDep,
    open_: Annotated[bool, Query(alias="open", description="Only incidents not yet closed")] = False,
) -> list[dict]:
    await authorized(gateway, principal, "read")
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        states = await fetch_incidents(client, open_only=open_)
    return [summary(s) for s in states]


@router.get("/incidents/{incident}", responses=REFUSALS,
            summary="One incident (same JSON as `incident show --json`); `failing` as in the list")
async def show(incident: str, gateway: GatewayDep, principal: PrincipalDep) -> dict:
    await authorized(gateway, principal, "read", incident)
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
async def decide(incident: str, decision: OutsideDecision, gateway: GatewayDep,
                 principal: PrincipalDep) -> DecisionResult:
    client = await gateway.temporal.client()
    try:
        with unavailable_as(gateway.temporal), forbidden_as_403():
            return await decisions.decide_as(client, principal, incident, decision, ledger=gateway.ledger,
                                             timeout=UPDATE_TIMEOUT_SECONDS, rpc_timeout=RPC_TIMEOUT)
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


@router.get("/whoami", response_model=Principal, responses={401: REFUSALS[401]},
            summary="Who the caller is: the person or token acting, its role and where it came from (`incident "
                    "login` checks a token with it); any valid credentials may ask, nothing is audited")
async def whoami(principal: PrincipalDep) -> Principal:
    return principal


async def authorized(gateway: Gateway, principal: Principal, action: str, incident: str | None = None) -> None:
    """Raise 403 (audited) unless `principal` may take `action`; the ledger write runs off the event loop."""
    with forbidden_as_403():
        await asyncio.to_thread(authorize, principal, action, incident=incident_id(incident) if incident else None,
                                ledger=gateway.ledger)


@contextlib.contextmanager
def forbidden_as_403() -> Iterator[None]:
    try:
        yield
    except Forbidden as exc:
        raise HTTPException(403, exc.reason) from None
