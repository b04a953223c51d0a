"""Slack buttons (`POST /slack/interactions`): block_actions become `submit` signals (fire-and-forget, well
inside Slack's 3-second limit); a runbook step's Reject button first asks for a reason (gateway/slack_modals.py),
whose view_submission arrives here too."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from domain.incident import decisions as d
from domain.incident.severity import Role
from gateway.slack_modals import ViewSubmission, ask_reject_reason, view_submission
from gateway.slack_requests import form_field, json_object, verified_body
from gateway.slack_shared import (
    GatewayDep,
    SlackUser,
    handle_for,
    step_button,
    step_decision,
    submit_decision,
    validated,
)

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


@router.post("/interactions", summary="Slack block_actions (buttons) and view_submission (the reject-reason modal)")
async def interactions(request: Request, gateway: GatewayDep):
    body = await verified_body(request, gateway)
    payload = json_object(form_field(body, "payload"), "payload")
    if payload.get("type") == "view_submission":
        return await view_submission(gateway, validated(ViewSubmission, payload))
    if payload.get("type") != "block_actions":
        return {"ok": True, "ignored": str(payload.get("type"))[:100]}
    actions = validated(BlockActions, payload)
    by = handle_for(gateway, actions.user.id)
    delivered = []
    for action in actions.actions:
        if not action.value:
            continue
        if action.action_id in BUTTON_DECISIONS:
            await submit_decision(gateway, action.value, BUTTON_DECISIONS[action.action_id](by))
        elif action.action_id in ("approve_step", "reject_step"):
            button = step_button(action.value)
            if action.action_id == "approve_step":
                await submit_decision(gateway, button.incident, step_decision(d.ApproveStep, button, by))
            elif not await ask_reject_reason(request, gateway, actions.trigger_id, action.value):
                # no bot token on the gateway to open the reason modal: reject with a reason naming the clicker
                await submit_decision(gateway, button.incident,
                                      step_decision(d.RejectStep, button, by, reason=f"rejected in Slack by {by}"))
        else:
            continue
        delivered.append(action.action_id)
    return {"ok": True, "delivered": delivered}
