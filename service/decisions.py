"""Decisions sent to an incident, the three ways clients send them: `decide` (checked first, for the CLI and
the REST API; `decide_as` authorizes and audits it for a principal first), `send_decision` (no check: a Slack
command must answer within 3 s) and `submit` (a fire-and-forget signal: Slack buttons). Refusals come back as
service errors (service/errors.py). The workflow is addressed by its handlers' names (service/workflow_names.py):
a one-off `incident ack` must not import the workflow and its activities."""

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.identity.principal import Principal, PrincipalKind, refusal
from domain.incident import decisions as d
from service.audit import LedgerSource
from service.authorization import acting, authorize
from service.errors import DecisionPending, DecisionRefused, IncidentClosed, IncidentNotRunning
from service.temporal import incident_handle, incident_id, workflow_id
from service.workflow_names import DECIDE_UPDATE, SUBMIT_SIGNAL


async def running_incident(client: Client, incident: str, rpc_timeout: timedelta | None = None) -> WorkflowHandle:
    """The incident's workflow, checked to exist (IncidentNotFound) and to still run (IncidentClosed)."""
    handle = await incident_handle(client, incident)
    description = await handle.describe(rpc_timeout=rpc_timeout)
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise IncidentClosed(incident_id(handle.id), description.status.name.lower())
    return handle


async def decide(client: Client, incident: str, decision: d.Decision, timeout: float | None = None,
                 rpc_timeout: timedelta | None = None) -> d.DecisionResult:
    """A decision as a Temporal update on a running incident; the validator's refusal is DecisionRefused, no
    answer within `timeout` seconds DecisionPending."""
    handle = await running_incident(client, incident, rpc_timeout)
    return await _update(handle, decision, timeout)


async def decide_as(client: Client, principal: Principal, incident: str, decision: d.Decision, *,
                    ledger: LedgerSource = None, claimed_by_is_actor: bool = False, timeout: float | None = None,
                    rpc_timeout: timedelta | None = None) -> d.DecisionResult:
    """`decide` for `principal` (docs/security.md, "Roles and the audit log"): refused with Forbidden when its role
    in the incident does not allow the decision, sent naming the real actor (`acting`), audited either way.
    `claimed_by_is_actor`: the local CLI, which has no authentication boundary, keeps `--by` as the actor."""
    state = None
    if principal.kind is PrincipalKind.PERSON and refusal(principal, decision.kind) is not None:
        from service.incidents import read_incident, state_of  # reading the whole incident: only for this check

        state = state_of(await read_incident(client, incident))  # the IC holds commander rights in their incident
    sent = decision if claimed_by_is_actor else acting(principal, decision, claimed_by=decision.by)
    await asyncio.to_thread(authorize, principal, decision.kind, state, incident=incident_id(incident),
                            actor=sent.actor, ledger=ledger, audit_allowed=True)
    return await decide(client, incident, sent, timeout, rpc_timeout)


async def send_decision(client: Client, incident: str, decision: d.Decision, timeout: float) -> d.DecisionResult:
    """Like `decide` without the check first: one round trip (IncidentNotRunning when there is no run)."""
    return await _update(client.get_workflow_handle(workflow_id(incident)), decision, timeout)


async def submit(client: Client, incident: str, decision: d.Decision, timeout: float) -> None:
    """A `submit` signal: an invalid decision lands in the incident's timeline as rejected. TimeoutError when
    Temporal does not take it within `timeout` seconds."""
    handle = client.get_workflow_handle(workflow_id(incident))
    with _not_running_as_error():
        await asyncio.wait_for(handle.signal(SUBMIT_SIGNAL, decision), timeout)


async def _update(handle: WorkflowHandle, decision: d.Decision, timeout: float | None) -> d.DecisionResult:
    try:
        with _not_running_as_error():
            answer = handle.execute_update(DECIDE_UPDATE, decision, result_type=d.DecisionResult)
            return await asyncio.wait_for(answer, timeout)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise DecisionRefused(f"{getattr(cause, 'message', None) or cause or exc}") from None
    except TimeoutError:
        raise DecisionPending(f"{decision.kind} sent to {incident_id(handle.id)}; it is taking a moment to apply"
                              ) from None


@contextlib.contextmanager
def _not_running_as_error() -> Iterator[None]:
    try:
        yield
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        raise IncidentNotRunning(f"not found: {exc.message}") from None
