"""Slack buttons (`POST /slack/interactions`): block_actions become `submit` signals (fire-and-forget, well
inside Slack's 3-second limit); a runbook step's Reject button first asks for a reason (gateway/slack_modals.py),
whose view_submission arrives here too. A press the one pressing may not make changes nothing: they are told
why privately, through the interaction's `response_url` (docs/security.md, "Slack users")."""

import logging
from typing import Literal

import aiohttp
from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import BaseModel
from slack_sdk.webhook.async_client import AsyncWebhookClient

from domain.incident import decisions as d
from domain.incident.severity import Role
from gateway.slack_modals import ViewSubmission, ask_reject_reason, view_submission
from gateway.slack_requests import form_field, json_object, verified_body
from gateway.slack_shared import (
    ANSWER_WITHIN_SECONDS,
    GatewayDep,
    SlackUser,
    acting,
    refused,
    step_button,
    step_decision,
    submit_decision,
    validated,
)

log = logging.getLogger("incidentflow.slack")
router = APIRouter()
BUTTON_DECISIONS = {
    "acknowledge": lambda by: d.Acknowledge(by=by),
    "ic": lambda by: d.AssignRole(role=Role.IC, to=by, by=by),
    "mitigated": lambda by: d.MarkMitigated(by=by),
    "resolve": lambda by: d.Resolve(by=by),
}


class SlackAction(BaseModel):
    action_id: str
    value: str | None = None


class BlockActions(BaseModel):
    type: Literal["block_actions"]
    user: SlackUser
    actions: list[SlackAction]
    trigger_id: str | None = None
    response_url: str | None = None


@router.post("/interactions", summary="Slack block_actions (buttons) and view_submission (the reject-reason modal)")
async def interactions(request: Request, gateway: GatewayDep, background: BackgroundTasks):
    body = await verified_body(request, gateway)
    payload = json_object(form_field(body, "payload"), "payload")
    if payload.get("type") == "view_submission":
        return await view_submission(request, gateway, validated(ViewSubmission, payload))
    if payload.get("type") != "block_actions":
        return {"ok": True, "ignored": str(payload.get("type"))[:100]}
    actions = validated(BlockActions, payload)
    actor = await acting(request, gateway, actions.user.id)
    by = actor.principal.actor()
    delivered, replies = [], []
    for action in actions.actions:
        if not action.value:
            continue
        if action.action_id in BUTTON_DECISIONS:
            incident, decision = action.value, BUTTON_DECISIONS[action.action_id](by)
        elif action.action_id == "approve_step":
            button = step_button(action.value)
            incident, decision = button.incident, step_decision(d.ApproveStep, button, by)
        elif action.action_id == "reject_step":
            # checked before the modal opens; without a bot token to open it, the reason names the clicker
            button = step_button(action.value)
            incident = button.incident
            decision = step_decision(d.RejectStep, button, by, reason=f"rejected in Slack by {by}")
        else:
            continue
        if (reply := await refused(gateway, actor, decision.kind, incident)) is not None:
            replies.append(reply)
            continue
        if action.action_id != "reject_step" or not await ask_reject_reason(request, gateway, actions.trigger_id,
                                                                           action.value):
            await submit_decision(gateway, incident, decision)
        delivered.append(action.action_id)
    if replies and actions.response_url:
        background.add_task(reply_privately, actions.response_url, "\n".join(dict.fromkeys(replies)))
    return {"ok": True, "delivered": delivered, "refused": replies}


async def reply_privately(response_url: str, text: str) -> None:
    """An ephemeral message to the one who pressed, below the message they pressed it on."""
    try:
        await AsyncWebhookClient(response_url, timeout=ANSWER_WITHIN_SECONDS).send(
            text=text, response_type="ephemeral", replace_original=False)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("could not tell the Slack user why they were refused: %r", exc)
