"""Communications test support: a worker whose channels are built from settings pointing at the fake Slack
and PagerDuty servers, signed Slack requests, and reading the incident back."""

import hashlib
import hmac
import json
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import yaml

from adapters.channels import RecordingChannel, build_channels
from adapters.policy_files import ONCALL_FILE
from service.incident_reader import query_snapshot
from settings import Settings
from testkit.environment import POLICY_DIR
from testkit.fakes.slack_api import TOKEN
from worker import build_worker
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PD_KEY = "R0UTINGKEY000000000000000000000PD"


def comms_settings(tmp_path, slack=None, pagerduty=None, **overrides) -> Settings:
    values = dict(data_dir=tmp_path, notify="record", slack_signing_secret=SIGNING_SECRET)
    if slack is not None:
        values.update(slack_bot_token=TOKEN, slack_api_url=slack.api_url)
    if pagerduty is not None:
        values.update(pagerduty_events_url=pagerduty.events_url, pagerduty_routing_key=PD_KEY)
    return Settings(**{**values, **overrides})


def edited_policy(target: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of the shipped policy in `target` whose on-call file `edit` changed (it gets the parsed YAML)."""
    shutil.copytree(POLICY_DIR, target)
    oncall = yaml.safe_load((target / ONCALL_FILE).read_text(encoding="utf-8"))
    edit(oncall)
    (target / ONCALL_FILE).write_text(yaml.safe_dump(oncall, allow_unicode=True), encoding="utf-8")
    return target


@asynccontextmanager
async def comms_worker(client, task_queue: str, settings: Settings, recorder: RecordingChannel | None = None,
                       **worker_options):
    channels = [c for c in build_channels(settings.channels, None, settings) if c.name != "record"]
    async with build_worker(client, task_queue, [*channels, recorder or RecordingChannel()], **worker_options):
        yield channels


def signed(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def button_body(action_id: str, incident_id: str, user: str, response_url: str | None = None) -> str:
    """What Slack sends when someone presses a button; `response_url` takes the gateway's ephemeral reply."""
    payload = {
        "type": "block_actions", "user": {"id": user, "username": user.lower()}, "trigger_id": "1.2.3",
        "container": {"type": "message"}, "channel": {"id": "C1", "name": "inc"},
        "actions": [{"type": "button", "action_id": action_id, "value": incident_id,
                     "block_id": f"incident:{incident_id}", "action_ts": str(time.time())}],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(private_metadata: str, reason: str | None, user: str,
                         callback_id: str = "reject_step") -> str:
    """What Slack sends when someone submits the reject-reason modal."""
    values = {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    payload = {"type": "view_submission", "user": {"id": user}, "team": {"id": "T1"},
               "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                        "state": {"values": values}}}
    return urlencode({"payload": json.dumps(payload)})


def command_body(text: str, user: str, channel_name: str) -> str:
    # Slack gives every invocation its own trigger_id, so two identical commands in one second are not a replay.
    return urlencode({"command": "/incident", "text": text, "user_id": user, "channel_id": "C1",
                      "channel_name": channel_name, "team_id": "T1", "response_url": "http://127.0.0.1:9/x",
                      "trigger_id": uuid.uuid4().hex})


async def snapshot(client, incident_id: str):
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + incident_id)
    return await query_snapshot(handle)


async def slash(gateway, text: str, user: str, channel: str) -> dict:
    """Send `/incident <text>` as `user` in `channel`, signed; the gateway's JSON answer."""
    body = command_body(text, user, channel)
    async with gateway.http(token=None) as http:
        answer: httpx.Response = await http.post("/slack/commands", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    return answer.json()


def header_of(slack, incident_id: str):
    """The incident channel on the fake Slack and its header message, once both exist."""
    from adapters.channels.slack import channel_name

    channel = slack.channel_named(channel_name("inc", incident_id))
    headers = slack.headers(channel) if channel else []
    return (channel, headers[0]) if headers else None
