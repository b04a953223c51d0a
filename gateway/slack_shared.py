"""What the Slack handlers share: who is acting and whether they may (gateway/slack_identity.py; every answer
audited), reading a payload into a model (a 400 naming the field, never a 500), a runbook step's button value,
and delivering a decision as a `submit` signal."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError
from temporalio.service import RPCError

from adapters.stores.ledger import open_ledger
from adapters.stores.ledger_engine import default_url
from domain.identity.audit import AuditEntry
from domain.identity.principal import Principal, Source
from domain.incident import decisions as d
from domain.incident.state import IncidentState
from gateway.context import Gateway, gateway_of
from gateway.slack_identity import SlackActor, slack_actor, slack_directory
from gateway.temporal import unavailable_as
from service.audit import record
from service.decisions import submit
from service.errors import IncidentNotRunning
from service.incident_reader import query_snapshot
from service.temporal import workflow_id
from settings import Settings

log = logging.getLogger("incidentflow.slack")
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
ANSWER_WITHIN_SECONDS = 2.5  # Slack gives up after 3 s
STATE_WITHIN = timedelta(seconds=0.5)  # asked only to learn whether the one acting is the incident's IC


class SlackUser(BaseModel):
    id: str


class StepButton(BaseModel):
    """The value of an Approve / Reject button (adapters/channels/slack_blocks.step_button_value)."""

    incident: str
    runbook: str
    step: str


async def acting(request: Request, gateway: Gateway, slack_user: str) -> SlackActor:
    return await slack_actor(slack_directory(request, gateway), gateway.policy(), slack_user)


async def refused(gateway: Gateway, actor: SlackActor, action: str, incident: str | None = None) -> str | None:
    """None when `actor` may take `action` (on `incident`), else what to tell them; audited either way. The
    incident's state is read only when being its IC could allow what the role alone does not."""
    reason = actor.refusal(action)
    if reason is not None and not actor.read_only and incident is not None and action != "declare":
        reason = actor.refusal(action, await _state_or_none(gateway, incident))
    await audit(gateway.settings, actor.principal, action, incident, reason)
    return None if reason is None else actor.reply(reason)


async def _state_or_none(gateway: Gateway, incident: str) -> IncidentState | None:
    with unavailable_as(gateway.temporal):
        client = await gateway.temporal.client()
    try:
        return await query_snapshot(client.get_workflow_handle(workflow_id(incident)), STATE_WITHIN)
    except RPCError:  # no such incident, or it does not answer: the role alone decides
        return None


async def audit(settings: Settings, principal: Principal, action: str, incident: str | None,
                reason: str | None) -> None:
    entry = AuditEntry(at=datetime.now(UTC), actor=principal.name, principal=principal.kind,
                       principal_name=principal.name, action=action,
                       incident=incident, source=Source.SLACK, allowed=reason is None, reason=reason)
    await asyncio.to_thread(_record, settings, entry)


def _record(settings: Settings, entry: AuditEntry) -> None:
    try:
        ledger = open_ledger(settings.database_url or default_url(settings.data_dir))
    except Exception:  # the audit never stops a decision (service/audit.py); record() counts its own failures
        log.exception("audit: the ledger did not open; not recorded: %s", entry)
        return
    record(ledger, entry)


def validated(model: type[BaseModel], payload: dict):
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise HTTPException(400, f"payload: {first_error(exc)}") from None


def first_error(exc: ValidationError) -> str:
    error = exc.errors(include_input=False)[0]
    return f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"


def step_button(value: str) -> StepButton:
    try:
        return StepButton.model_validate_json(value)
    except ValidationError as exc:
        raise HTTPException(400, f"button value: {first_error(exc)}") from None


def step_decision(kind, button: StepButton, by: str, **fields) -> d.Decision:
    try:
        return kind(step=button.step, runbook=button.runbook, by=by, **fields)
    except ValidationError as exc:
        raise HTTPException(400, f"button value: {first_error(exc)}") from None


async def submit_decision(gateway: Gateway, incident: str, decision: d.Decision) -> None:
    """A fire-and-forget `submit` signal; an invalid decision lands in the timeline as rejected."""
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        try:
            await submit(client, incident, decision, ANSWER_WITHIN_SECONDS)
        except IncidentNotRunning:
            raise HTTPException(404, f"incident {incident} is not running") from None
