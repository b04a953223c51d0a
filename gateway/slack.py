"""Slack interactivity: buttons (`POST /slack/interactions`) and the `/incident` slash command
(`POST /slack/commands`). Every request is checked with slack-sdk's SignatureVerifier (v0 HMAC over
`v0:timestamp:body`, 5-minute window) before anything is parsed, and a body seen before is refused as a
replay. Buttons become `submit` signals (fire-and-forget, well inside Slack's 3-second limit); commands
use the `decide` update so the person sees why a decision was refused."""

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError
from slack_sdk.signature import SignatureVerifier
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from cli.common import workflow_id
from cli.incidents import declare_incident, new_incident_id
from domain import decisions as d
from domain.incident import IncidentStart
from domain.policy import Person
from domain.severity import Role, Severity
from gateway.context import Gateway, gateway_of
from gateway.temporal import unavailable_as
from workflows.incident import IncidentWorkflow

log = logging.getLogger("incidentflow.slack")
router = APIRouter(prefix="/slack", tags=["slack"])
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
WINDOW_SECONDS = 5 * 60
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


class SlashCommand(BaseModel):
    command: str
    text: str = ""
    user_id: str
    channel_id: str | None = None
    channel_name: str | None = None


# ── verification ─────────────────────────────────────────────────────────────────────────────────
class ReplayGuard:
    """Signatures seen in the last five minutes; older ones are refused by the timestamp check anyway."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def first_time(self, signature: str) -> bool:
        now = time.monotonic()
        self.seen = {s: at for s, at in self.seen.items() if now - at < WINDOW_SECONDS + 60}
        if signature in self.seen:
            return False
        self.seen[signature] = now
        return True


async def verified_body(request: Request, gateway: Gateway) -> bytes:
    secret = gateway.settings.slack_signing_secret
    if secret is None:
        raise HTTPException(503, "Slack is not configured: set INCIDENTFLOW_SLACK_SIGNING_SECRET")
    body = await request.body()
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    if not SignatureVerifier(secret.get_secret_value()).is_valid(body, timestamp, signature):
        raise HTTPException(401, "invalid Slack signature or timestamp older than 5 minutes")
    guard = request.app.state.__dict__.setdefault("slack_replay_guard", ReplayGuard())
    if not guard.first_time(signature):
        raise HTTPException(401, "replayed Slack request")
    return body


def form_field(body: bytes, name: str) -> str:
    values = parse_qs(body.decode("utf-8"), keep_blank_values=True).get(name)
    if not values:
        raise HTTPException(400, f"form field {name!r} missing")
    return values[0]


# ── people ───────────────────────────────────────────────────────────────────────────────────────
@lru_cache(maxsize=8)
def _people(policy_dir: Path, mtime: float) -> dict[str, Person]:
    from activities.policy_loader import load_policy

    return dict(load_policy(policy_dir).oncall.people)


def handle_for(gateway: Gateway, slack_user: str) -> str:
    """The policy handle of a Slack user (people[*].slack_id); unknown users act as `slack:<id>`."""
    directory = Path(gateway.settings.policy_dir)
    oncall = directory / "oncall-escalation-policy.yaml"
    people = _people(directory, oncall.stat().st_mtime if oncall.exists() else 0.0)
    return next((handle for handle, p in people.items() if p.slack_id == slack_user), f"slack:{slack_user}")


# ── buttons ──────────────────────────────────────────────────────────────────────────────────────
BUTTON_DECISIONS = {
    "acknowledge": lambda by: d.Acknowledge(by=by),
    "ic": lambda by: d.AssignRole(role=Role.IC, to=by, by=by),
    "mitigated": lambda by: d.MarkMitigated(by=by),
    "resolve": lambda by: d.Resolve(by=by),
}


@router.post("/interactions", summary="Slack block_actions (buttons on the incident header)")
async def interactions(request: Request, gateway: GatewayDep) -> dict:
    body = await verified_body(request, gateway)
    try:
        payload = json.loads(form_field(body, "payload"))
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"payload: not JSON ({exc.msg})") from None
    if payload.get("type") != "block_actions":
        return {"ok": True, "ignored": payload.get("type")}
    try:
        actions = BlockActions.model_validate(payload)
    except ValidationError as exc:
        raise HTTPException(400, f"payload: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
    by = handle_for(gateway, actions.user.id)
    client = await gateway.temporal.client()
    delivered = []
    for action in actions.actions:
        make = BUTTON_DECISIONS.get(action.action_id)
        if make is None or not action.value:
            continue
        handle = client.get_workflow_handle(workflow_id(action.value))
        with unavailable_as(gateway.temporal):
            try:
                await asyncio.wait_for(handle.signal(IncidentWorkflow.submit, make(by)), ANSWER_WITHIN_SECONDS)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
                raise HTTPException(404, f"incident {action.value} is not running") from None
        delivered.append(action.action_id)
    return {"ok": True, "delivered": delivered}


# ── /incident slash command ──────────────────────────────────────────────────────────────────────
@router.post("/commands", summary="The /incident slash command")
async def commands(request: Request, gateway: GatewayDep) -> dict:
    body = await verified_body(request, gateway)
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    try:
        command = SlashCommand.model_validate(fields)
    except ValidationError as exc:
        raise HTTPException(400, f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
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
    start = IncidentStart(id=new_incident_id(service, datetime.now(UTC)), title=title, service=service,
                          severity=severity, declared_by=by, source="slack")
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
