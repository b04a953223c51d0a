"""Slack interactivity under `/slack`: buttons and the reject-reason modal (gateway/slack_buttons.py,
gateway/slack_modals.py) and the `/incident` slash command (gateway/slack_commands.py). Every request is
verified before anything is parsed (gateway/slack_requests.py: signature, 5-minute window, replays, 1 MiB),
and a malformed body is a 400 naming what is wrong, never a 500. The Slack user is a person of the policy
(gateway/slack_identity.py) whose role says what they may do, every press audited (docs/security.md, "Slack
users"). Decisions go through service/decisions.py."""

from fastapi import APIRouter

from gateway import slack_buttons, slack_commands

router = APIRouter(prefix="/slack", tags=["slack"])
router.include_router(slack_buttons.router)
router.include_router(slack_commands.router)
