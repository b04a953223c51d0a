"""The `/incident` slash command (`POST /slack/commands`): declare anywhere; in an incident channel, the
decisions people type. They go as the `decide` update, so the person sees why a decision was refused — by
their role (docs/security.md, "Slack users") or by the incident."""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ValidationError

from domain.common.limits import Declaration
from domain.comms.role_duties import duties_text
from domain.incident import decisions as d
from domain.incident.severity import Role, Severity
from domain.incident.state import IncidentStart
from gateway.context import Gateway
from gateway.slack_identity import SlackActor
from gateway.slack_requests import form_fields, verified_body
from gateway.slack_shared import ANSWER_WITHIN_SECONDS, GatewayDep, acting, first_error, refused
from gateway.temporal import unavailable_as
from service.decisions import send_decision
from service.errors import DecisionPending, DecisionRefused, IncidentNotRunning
from service.incidents import declare_incident, new_incident_id

router = APIRouter()
USAGE = ("Usage: `/incident declare <sev0-3> <service> <title>` anywhere, or in an incident channel: "
         "`/incident ack`, `/incident ic`, `/incident mitigated`, `/incident resolve [summary]`, "
         "`/incident sev <sev0-3>`, `/incident status <investigating|identified|monitoring|resolved> <message>`, "
         "`/incident close`")


class SlashCommand(BaseModel):
    command: str
    text: str = ""
    user_id: str
    channel_id: str | None = None
    channel_name: str | None = None


@router.post("/commands", summary="The /incident slash command")
async def commands(request: Request, gateway: GatewayDep) -> dict:
    body = await verified_body(request, gateway)
    try:
        command = SlashCommand.model_validate(form_fields(body))
    except ValidationError as exc:
        raise HTTPException(400, first_error(exc)) from None
    words = command.text.split()
    if not words:
        return _ephemeral(USAGE)
    actor = await acting(request, gateway, command.user_id)
    by = actor.principal.actor()
    verb, args = words[0].lower(), words[1:]
    if verb == "declare":
        return await _declare(gateway, actor, args)
    incident = _incident_of_channel(gateway, command.channel_name)
    if incident is None:
        return _ephemeral(f"`/incident {verb}` works in an incident channel (#{gateway.settings.slack_channel_prefix}"
                          "-…). " + USAGE)
    try:
        decision = _decision(verb, args, by)
    except ValueError as exc:
        return _ephemeral(f"{exc}. {USAGE}")
    if (reply := await refused(gateway, actor, decision.kind, incident)) is not None:
        return _ephemeral(reply)
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
        case "close":
            return d.Close(by=by)
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


async def _declare(gateway: Gateway, actor: SlackActor, args: list[str]) -> dict:
    by = actor.principal.actor()
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
    incident_id = new_incident_id(service, datetime.now(UTC))
    if (reply := await refused(gateway, actor, "declare", incident_id)) is not None:
        return _ephemeral(reply)
    start = IncidentStart(id=incident_id, title=title, service=service,
                          severity=severity, declared_by=by, source="slack", policy=gateway.policy())
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        incident = await declare_incident(client, start, task_queue=gateway.settings.task_queue)
    return {"response_type": "in_channel",
            "text": f"🚨 {severity.value.upper()} incident `{incident}` declared by {by}: {title} "
                    f"(channel #{gateway.settings.slack_channel_prefix}-{incident})"}


async def _decide(gateway: Gateway, incident: str, decision: d.Decision) -> dict:
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        try:
            result = await send_decision(client, incident, decision, ANSWER_WITHIN_SECONDS)
        except DecisionPending:
            return _ephemeral(f"{decision.kind} sent to {incident}; it is taking a moment to apply")
        except DecisionRefused as exc:
            return _ephemeral(f"refused: {exc.reason}")
        except IncidentNotRunning:
            return _ephemeral(f"incident {incident} is not running")
    return {"response_type": "in_channel", "text": f"{duties_text(result)}\n(phase: {result.phase.value})"
            if result.duties else f"{result.text} (phase: {result.phase.value})"}


def _ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}
