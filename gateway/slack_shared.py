"""What the Slack handlers share: who a Slack user is in the policy, reading a payload into a model (a 400
naming the field, never a 500), a runbook step's button value, and delivering a decision as a `submit` signal."""

from typing import Annotated

from fastapi import Depends, HTTPException
from pydantic import BaseModel, ValidationError

from domain.incident import decisions as d
from gateway.context import Gateway, gateway_of
from gateway.temporal import unavailable_as
from service.decisions import submit
from service.errors import IncidentNotRunning

GatewayDep = Annotated[Gateway, Depends(gateway_of)]
ANSWER_WITHIN_SECONDS = 2.5  # Slack gives up after 3 s


class SlackUser(BaseModel):
    id: str


class StepButton(BaseModel):
    """The value of an Approve / Reject button (adapters/channels/slack_blocks.step_button_value)."""

    incident: str
    runbook: str
    step: str


def handle_for(gateway: Gateway, slack_user: str) -> str:
    """The policy handle of a Slack user (people[*].slack_id); unknown users act as `slack:<id>`."""
    policy = gateway.policy()
    people = policy.oncall.people.items() if policy else ()
    return next((handle for handle, p in people if p.slack_id == slack_user), f"slack:{slack_user}")


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
