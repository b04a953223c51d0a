"""The reject-reason modal: a runbook step's Reject button opens it (views.open), and its submission
(view_submission) rejects the step with the reason given (docs/runbooks.md)."""

import logging
from typing import Literal

import aiohttp
from fastapi import HTTPException, Request, Response
from pydantic import BaseModel
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from domain.incident import decisions as d
from gateway.context import Gateway
from gateway.slack_shared import (
    ANSWER_WITHIN_SECONDS,
    SlackUser,
    handle_for,
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


def _slack_client(request: Request, gateway: Gateway) -> AsyncWebClient | None:
    token = gateway.settings.slack_bot_token
    if token is None:
        return None
    state = request.app.state.__dict__
    if "slack_client" not in state:
        state["slack_client"] = AsyncWebClient(token=token.get_secret_value(), base_url=gateway.settings.slack_api_url,
                                               timeout=ANSWER_WITHIN_SECONDS)
    return state["slack_client"]


async def ask_reject_reason(request: Request, gateway: Gateway, trigger_id: str | None, value: str) -> bool:
    """Open the reject-reason modal (views.open); False when the gateway has no Slack token to open it."""
    client = _slack_client(request, gateway)
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


async def view_submission(gateway: Gateway, submission: ViewSubmission):
    if submission.view.get("callback_id") != REJECT_CALLBACK:
        return Response(status_code=200)
    metadata = submission.view.get("private_metadata")
    button = step_button(metadata if isinstance(metadata, str) else "")
    reason = _submitted_reason(submission.view)
    if not reason:
        return {"response_action": "errors", "errors": {REASON_BLOCK: "Please say why the step is rejected."}}
    by = handle_for(gateway, submission.user.id)
    await submit_decision(gateway, button.incident, step_decision(d.RejectStep, button, by, reason=reason))
    return Response(status_code=200)  # an empty 200 closes the modal


def _submitted_reason(view: dict) -> str:
    """view.state.values.reason.reason.value, or "" when any level is missing or not what Slack sends."""
    node = view
    for key in ("state", "values", REASON_BLOCK, REASON_BLOCK, "value"):
        node = node.get(key) if isinstance(node, dict) else None
    return node.strip() if isinstance(node, str) else ""
