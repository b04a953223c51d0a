"""Slack interactivity: buttons (`POST /slack/interactions`) and the `/incident` slash command
(`POST /slack/commands`). Every request is verified before anything is parsed (gateway/slack_requests.py:
signature, 5-minute window, replays, 1 MiB), and a malformed body is a 400 naming what is wrong, never a 500.
Buttons become `submit` signals (fire-and-forget, well inside Slack's 3-second limit); a runbook step's
Reject button first asks for a reason in a modal (views.open → view_submission). Commands use the `decide`
update so the person sees why a decision was refused."""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated, Literal

import aiohttp
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ValidationError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.common.limits import Declaration
from domain.incident import decisions as d
from domain.incident.severity import Role, Severity
from domain.incident.state import IncidentStart
from gateway.context import Gateway, gateway_of
from gateway.slack_requests import form_field, form_fields, json_object, verified_body
from gateway.temporal import unavailable_as
from service.incidents import declare_incident, new_incident_id
from service.temporal import workflow_id
from workflows.incident import IncidentWorkflow

log = logging.getLogger("incidentflow.slack")
router = APIRouter(prefix="/slack", tags=["slack"])
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
ANSWER_WITHIN_SECONDS = 2.5  # Slack gives up after 3 s
USAGE = ("Usage: `/incident declare <sev0-3> <service> <title>` anywhere, or in an incident channel: "
         "`/incident ack`, `/incident ic`, `/incident mitigated`, `/incident resolve [summary]`, "
         "`/incident sev <sev0-3>`, `/incident status <investigating|identified|monitoring|resolved> <message>`")


# ── payloads (validated before use) ──────────────────────────────────────────────────────────────
class SlackUser(BaseModel):
    id: str


class SlackAction(BaseModel):
    action_id: str
    value: str | None = None


class BlockActions(BaseModel):
    type: Literal["block_actions"]
    user: SlackUser
    actions: list[SlackAction]
    trigger_id: str | None = None


class SlashCommand(BaseModel):
    command: str
    text: str = ""
    user_id: str
    channel_id: str | None = None
    channel_name: str | None = None


# ── people ───────────────────────────────────────────────────────────────────────────────────────
def handle_for(gateway: Gateway, slack_user: str) -> str:
    """The policy handle of a Slack user (people[*].slack_id); unknown users act as `slack:<id>`."""
    policy = gateway.policy()
    people = policy.oncall.people.items() if policy else ()
    return next((handle for handle, p in people if p.slack_id == slack_user), f"slack:{slack_user}")


# ── buttons ──────────────────────────────────────────────────────────────────────────────────────
BUTTON_DECISIONS = {
    "acknowledge": lambda by: d.Acknowledge(by=by),
    "ic": lambda by: d.AssignRole(role=Role.IC, to=by, by=by),
    "mitigated": lambda by: d.MarkMitigated(by=by),
    "resolve": lambda by: d.Resolve(by=by),
}


class StepButton(BaseModel):
    """The value of an Approve / Reject button (adapters/channels/slack_blocks.step_button_value)."""

    incident: str
    runbook: str
    step: str


class ViewSubmission(BaseModel):
    type: Literal["view_submission"]
    user: SlackUser
    view: dict


REJECT_CALLBACK = "reject_step"
REASON_BLOCK = "reason"


@router.post("/interactions", summary="Slack block_actions (buttons) and view_submission (the reject-reason modal)")
async def interactions(request: Request, gateway: GatewayDep):
    body = await verified_body(request, gateway)
    payload = json_object(form_field(body, "payload"), "payload")
    if payload.get("type") == "view_submission":
        return await _view_submission(request, gateway, _validated(ViewSubmission, payload))
    if payload.get("type") != "block_actions":
        return {"ok": True, "ignored": str(payload.get("type"))[:100]}
    actions = _validated(BlockActions, payload)
    by = handle_for(gateway, actions.user.id)
    delivered = []
    for action in actions.actions:
        if not action.value:
            continue
        if action.action_id in BUTTON_DECISIONS:
            await _submit(gateway, action.value, BUTTON_DECISIONS[action.action_id](by))
        elif action.action_id in ("approve_step", "reject_step"):
            button = _step_button(action.value)
            if action.action_id == "approve_step":
                await _submit(gateway, button.incident, _step_decision(d.ApproveStep, button, by))
            elif not await _ask_reject_reason(request, gateway, actions.trigger_id, action.value):
                # no bot token on the gateway to open the reason modal: reject with a reason naming the clicker
                await _submit(gateway, button.incident,
                              _step_decision(d.RejectStep, button, by, reason=f"rejected in Slack by {by}"))
        else:
            continue
        delivered.append(action.action_id)
    return {"ok": True, "delivered": delivered}


def _validated(model: type[BaseModel], payload: dict):
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise HTTPException(400, f"payload: {_first_error(exc)}") from None


def _step_button(value: str) -> StepButton:
    try:
        return StepButton.model_validate_json(value)
    except ValidationError as exc:
        raise HTTPException(400, f"button value: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_input=False)[0]
    return f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"


def _step_decision(kind, button: StepButton, by: str, **fields) -> d.Decision:
    try:
        return kind(step=button.step, runbook=button.runbook, by=by, **fields)
    except ValidationError as exc:
        raise HTTPException(400, f"button value: {_first_error(exc)}") from None


async def _submit(gateway: Gateway, incident: str, decision: d.Decision) -> None:
    """A fire-and-forget `submit` signal; an invalid decision lands in the timeline as rejected."""
    client = await gateway.temporal.client()
    handle = client.get_workflow_handle(workflow_id(incident))
    with unavailable_as(gateway.temporal):
        try:
            await asyncio.wait_for(handle.signal(IncidentWorkflow.submit, decision), ANSWER_WITHIN_SECONDS)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            raise HTTPException(404, f"incident {incident} is not running") from None


def _slack_client(request: Request, gateway: Gateway) -> AsyncWebClient | None:
    token = gateway.settings.slack_bot_token
    if token is None:
        return None
    state = request.app.state.__dict__
    if "slack_client" not in state:
        state["slack_client"] = AsyncWebClient(token=token.get_secret_value(), base_url=gateway.settings.slack_api_url,
                                               timeout=ANSWER_WITHIN_SECONDS)
    return state["slack_client"]


async def _ask_reject_reason(request: Request, gateway: Gateway, trigger_id: str | None, value: str) -> bool:
    """Open the reject-reason modal (views.open); False when the gateway has no Slack token to open it."""
    client = _slack_client(request, gateway)
    if client is None or not trigger_id:
        return False
    button = _step_button(value)
    view = {
        "type": "modal", "callback_id": REJECT_CALLBACK, "private_metadata": value,
        "title": {"type": "plain_text", "text": "Reject runbook step"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"Reject step `{button.step}` of runbook `{button.runbook}` (incident `{button.incident}`)? "
                "The run aborts; the reason goes into the timeline.")}},
            {"type": "input", "block_id": REASON_BLOCK, "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": REASON_BLOCK, "multiline": True,
                         "max_length": 2000}},
        ],
    }
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not open the reject modal: %s", exc)
        raise HTTPException(502, "Slack did not open the reject dialog; try again or use "
                                 f"`incident reject {button.incident} {button.step} --reason …`") from None
    return True


async def _view_submission(request: Request, gateway: Gateway, submission: ViewSubmission):
    if submission.view.get("callback_id") != REJECT_CALLBACK:
        return Response(status_code=200)
    metadata = submission.view.get("private_metadata")
    button = _step_button(metadata if isinstance(metadata, str) else "")
    reason = _submitted_reason(submission.view)
    if not reason:
        return {"response_action": "errors", "errors": {REASON_BLOCK: "Please say why the step is rejected."}}
    by = handle_for(gateway, submission.user.id)
    await _submit(gateway, button.incident, _step_decision(d.RejectStep, button, by, reason=reason))
    return Response(status_code=200)  # an empty 200 closes the modal


def _submitted_reason(view: dict) -> str:
    """view.state.values.reason.reason.value, or "" when any level is missing or not what Slack sends."""
    node = view
    for key in ("state", "values", REASON_BLOCK, REASON_BLOCK, "value"):
        node = node.get(key) if isinstance(node, dict) else None
    return node.strip() if isinstance(node, str) else ""


# ── /incident slash command ──────────────────────────────────────────────────────────────────────
@router.post("/commands", summary="The /incident slash command")
async def commands(request: Request, gateway: GatewayDep) -> dict:
    body = await verified_body(request, gateway)
    try:
        command = SlashCommand.model_validate(form_fields(body))
    except ValidationError as exc:
        raise HTTPException(400, _first_error(exc)) from None
    by = handle_for(gateway, command.user_id)
    words = command.text.split()
    if not words:
        return _ephemeral(USAGE)
    verb, args = words[0].lower(), words[1:]
    if verb == "declare":
        return await _declare(gateway, by, args)
    incident = _incident_of_channel(gateway, command.channel_name)
    if incident is None:
        return _ephemeral(f"`/incident {verb}` works in an incident channel (#{gateway.settings.slack_channel_prefix}"
                          "-…). " + USAGE)
    try:
        decision = _decision(verb, args, by)
    except ValueError as exc:
        return _ephemeral(f"{exc}. {USAGE}")
    return await _decide(gateway, incident, decision)


def _decision(verb: str, args: list[str], by: str) -> d.Decision:
    rest = " ".join(args).strip()
    match verb:
        case "ack" | "acknowledge":
            return d.Acknowledge(by=by)
        case "ic":
            return d.AssignRole(role=Role.IC, to=by, by=by)
        case "mitigated":
            return d.MarkMitigated(by=by)
        case "resolve":
            return d.Resolve(by=by, summary=rest or None)
        case "sev" | "severity" if args:
            return d.SetSeverity(severity=Severity.parse(args[0]), by=by)
        case "status" | "update" if len(args) >= 2:
            try:
                return d.PostUpdate(status=args[0].lower(), message=" ".join(args[1:]), by=by)
            except ValidationError:
                raise ValueError(f"unknown status {args[0]!r}") from None
    raise ValueError(f"cannot read `{verb} {rest}`".strip())


def _incident_of_channel(gateway: Gateway, channel_name: str | None) -> str | None:
    prefix = f"{gateway.settings.slack_channel_prefix}-"
    if channel_name and channel_name.startswith(prefix) and len(channel_name) > len(prefix):
        return channel_name.removeprefix(prefix)
    return None


async def _declare(gateway: Gateway, by: str, args: list[str]) -> dict:
    if len(args) < 3:
        return _ephemeral("declare needs a severity, a service and a title. " + USAGE)
    try:
        severity = Severity.parse(args[0])
    except ValueError as exc:
        return _ephemeral(str(exc))
    service, title = args[1], " ".join(args[2:])
    try:
        Declaration(title=title, service=service, by=by)  # the limits every entry has
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _ephemeral(f"not declared: {problems}. " + USAGE)
    start = IncidentStart(id=new_incident_id(service, datetime.now(UTC)), title=title, service=service,
                          severity=severity, declared_by=by, source="slack", policy=gateway.policy())
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        incident = await declare_incident(client, start, task_queue=gateway.settings.task_queue)
    return {"response_type": "in_channel",
            "text": f"🚨 {severity.value.upper()} incident `{incident}` declared by {by}: {title} "
                    f"(channel #{gateway.settings.slack_channel_prefix}-{incident})"}


async def _decide(gateway: Gateway, incident: str, decision: d.Decision) -> dict:
    client = await gateway.temporal.client()
    handle = client.get_workflow_handle(workflow_id(incident))
    with unavailable_as(gateway.temporal):
        try:
            result = await asyncio.wait_for(handle.execute_update(IncidentWorkflow.decide, decision),
                                            ANSWER_WITHIN_SECONDS)
        except TimeoutError:
            return _ephemeral(f"{decision.kind} sent to {incident}; it is taking a moment to apply")
        except WorkflowUpdateFailedError as exc:
            return _ephemeral(f"refused: {exc.cause.message if exc.cause else exc}")
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return _ephemeral(f"incident {incident} is not running")
            raise
    return {"response_type": "in_channel", "text": f"{result.text} (phase: {result.phase.value})"}


def _ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}
