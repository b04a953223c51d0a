"""The reject-reason modal: a runbook step's Reject button opens it (views.open), and its submission
(view_submission) rejects the step with the reason given (docs/runbooks.md)."""

import logging
from typing import Literal

import aiohttp
from fastapi import HTTPException, Request, Response
from pydantic import BaseModel
from slack_sdk.errors import SlackApiError

from domain.incident import decisions as d
from gateway.context import Gateway
from gateway.slack_identity import slack_client
from gateway.slack_shared import (
    SlackUser,
    acting,
    refused,
    step_button,
    step_decision,
    submit_decision,
)

log = logging.getLogger("incidentflow.slack")
REJECT_CALLBACK = "reject_step"
REASON_BLOCK = "reason"


class ViewSubmission(BaseModel):
    type: Literal["view_submission"]
    user: SlackUser
    view: dict


async def ask_reject_reason(request: Request, gateway: Gateway, trigger_id: str | None, value: str) -> bool:
    """Open the reject-reason modal (views.open); False when the gateway has no Slack token to open it."""
    client = slack_client(request, gateway)
    if client is None or not trigger_id:
        return False
    button = step_button(value)
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


async def view_submission(request: Request, gateway: Gateway, submission: ViewSubmission):
    if submission.view.get("callback_id") != REJECT_CALLBACK:
        return Response(status_code=200)
    metadata = submission.view.get("private_metadata")
    button = step_button(metadata if isinstance(metadata, str) else "")
    reason = _submitted_reason(submission.view)
    if not reason:
        return {"response_action": "errors", "errors": {REASON_BLOCK: "Please say why the step is rejected."}}
    actor = await acting(request, gateway, submission.user.id)
    decision = step_decision(d.RejectStep, button, actor.principal.actor(), reason=reason)
    if (reply := await refused(gateway, actor, decision.kind, button.incident)) is not None:
        return {"response_action": "errors", "errors": {REASON_BLOCK: reply}}  # shown in the modal, to them alone
    await submit_decision(gateway, button.incident, decision)
    return Response(status_code=200)  # an empty 200 closes the modal


def _submitted_reason(view: dict) -> str:
    """view.state.values.reason.reason.value, or "" when any level is missing or not what Slack sends."""
    node = view
    for key in ("state", "values", REASON_BLOCK, REASON_BLOCK, "value"):
        node = node.get(key) if isinstance(node, dict) else None
    return node.strip() if isinstance(node, str) else ""
