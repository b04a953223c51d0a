"""Twilio's webhooks (`/webhooks/twilio/*`): SMS replies and key presses acknowledge a page, status callbacks
report deliveries. Every request must carry a valid `X-Twilio-Signature` (HMAC-SHA1 of the public URL and the
form fields with the auth token, checked with the library's RequestValidator); anything else is a 403 and
changes nothing. The number is mapped to a person of the policy (`people.<h>.phone`), the incident is the one
most recently paged to that number by SMS or voice (the direct channels' delivery log, `direct.db`), and the
acknowledgement is the same `acknowledge` decision as any other, by that person, audited (docs/communications.md,
"SMS and voice")."""

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from adapters.stores.delivery_log import direct_log
from domain.identity.principal import Principal, PrincipalKind, Source
from domain.incident import decisions as d
from gateway.context import Gateway, gateway_of
from gateway.errors import rejection
from gateway.slack_requests import form_fields
from gateway.temporal import unavailable_as
from service.authorization import authorize
from service.decisions import send_decision
from service.errors import DecisionPending, DecisionRefused, Forbidden, IncidentNotRunning

log = logging.getLogger("incidentflow.twilio")
router = APIRouter(prefix="/webhooks/twilio", tags=["twilio"])
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
ACKNOWLEDGING = {"1", "ack", "acknowledge"}
DECIDE_WITHIN_SECONDS = 8.0  # Twilio waits 15 s for an answer
XML = "application/xml"
HOW = "Reply 1 or ack to acknowledge the incident you were last paged for."


@router.post("/sms", summary="An SMS reply to a page: 1 / ack / acknowledge acknowledges it")
async def sms(request: Request, gateway: GatewayDep) -> Response:
    form = await _verified(request, gateway)
    if isinstance(form, Response):
        return form
    number, text = form.get("From", "").strip(), form.get("Body", "")
    if text.strip().lower() in ACKNOWLEDGING:
        reply = await acknowledge(gateway, number, Source.SMS)
    else:
        reply = HOW if _person(gateway, number) else _stranger(number)
    answer = MessagingResponse()
    answer.message(reply)
    return Response(str(answer), media_type=XML)


@router.post("/voice", summary="A key pressed during a voice page: 1 acknowledges it")
async def voice(request: Request, gateway: GatewayDep) -> Response:
    form = await _verified(request, gateway)
    if isinstance(form, Response):
        return form
    # a call we placed comes from our number: the person is the one called
    outbound = form.get("Direction", "outbound-api").startswith("outbound")
    number = form.get("To" if outbound else "From", "").strip()
    if form.get("Digits", "").strip() == "1":
        reply = await acknowledge(gateway, number, Source.VOICE)
    else:
        reply = "Nothing was acknowledged. Press 1 during the page, or reply 1 to its text message."
    answer = VoiceResponse()
    answer.say(reply)
    return Response(str(answer), media_type=XML)


@router.post("/status", summary="Twilio's delivery status of a page's message or call", status_code=204)
async def status(request: Request, gateway: GatewayDep) -> Response:
    form = await _verified(request, gateway)
    if isinstance(form, Response):
        return form
    sid = form.get("MessageSid") or form.get("CallSid") or "?"
    state = form.get("MessageStatus") or form.get("CallStatus") or "?"
    log.info("Twilio %s to %s: %s%s", sid, form.get("To", "?"), state,
             f" (error {form['ErrorCode']})" if form.get("ErrorCode") else "")
    return Response(status_code=204)


async def acknowledge(gateway: Gateway, number: str, source: Source) -> str:
    """What to tell the one who answered: acknowledged, or why not."""
    found = _person(gateway, number)
    if found is None:
        return _stranger(number)
    handle, person = found
    incident = await asyncio.to_thread(direct_log(gateway.settings.data_dir).last_incident_to, number,
                                       ("sms", "voice"))
    if incident is None:
        return f"No page was sent to {number}: there is nothing to acknowledge."
    policy = gateway.policy()
    principal = Principal(kind=PrincipalKind.PERSON, name=handle, role=policy.oncall.access.role_of(person),
                          source=source)
    try:
        await asyncio.to_thread(authorize, principal, "acknowledge", incident=incident, ledger=gateway.ledger,
                                audit_allowed=True)
    except Forbidden as exc:
        return f"Not allowed: {exc}"
    decision = d.Acknowledge(by=handle, via=source.value)
    with unavailable_as(gateway.temporal):
        client = await gateway.temporal.client()
        try:
            await send_decision(client, incident, decision, DECIDE_WITHIN_SECONDS)
        except DecisionRefused as exc:
            return f"{incident} was not acknowledged: {exc}"
        except DecisionPending:
            return f"Acknowledgement of {incident} as {handle} sent; it is taking a moment to apply."
        except IncidentNotRunning:
            return f"Incident {incident} is no longer running: nothing to acknowledge."
    return f"Acknowledged {incident} as {handle}."


def _person(gateway: Gateway, number: str):
    policy = gateway.policy()
    people = policy.oncall.people if policy is not None else {}
    return next(((handle, p) for handle, p in people.items() if number and p.phone == number), None)


def _stranger(number: str) -> str:
    return (f"{number or 'This number'} is not a phone number of anyone in the on-call policy: nothing was "
            "acknowledged. Acknowledge in Slack or with `incident ack`.")


async def _verified(request: Request, gateway: Gateway) -> dict[str, str] | Response:
    settings = gateway.settings
    if settings.twilio_auth_token is None or not settings.public_url:
        return rejection(gateway.metrics, 503, "twilio_not_configured",
                         "Twilio is not configured: set INCIDENTFLOW_TWILIO_AUTH_TOKEN and INCIDENTFLOW_PUBLIC_URL")
    form = form_fields(await request.body())
    # Twilio signs the URL it was given: the public one, not the address this request reached
    url = settings.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    if not RequestValidator(settings.twilio_auth_token.get_secret_value()).validate(url, form, signature):
        log.warning("refused a Twilio webhook to %s from %s: X-Twilio-Signature does not match", request.url.path,
                    request.client.host if request.client else "?")
        return rejection(gateway.metrics, 403, "bad_signature",
                         "X-Twilio-Signature does not match (wrong auth token, public URL, or altered form)")
    return form
