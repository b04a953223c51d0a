"""`/webhooks/*`: Alertmanager, Grafana, PagerDuty Events v2 and our generic schema; and PagerDuty's own
path, `POST /v2/enqueue`, for senders that only let you change the host (same handler)."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from domain.incident import decisions as d
from gateway.context import Gateway, gateway_of
from gateway.errors import rejection
from gateway.intake import Answer
from gateway.mapping import (
    AlertGroup,
    from_alertmanager,
    from_generic,
    from_grafana,
    from_pagerduty_resolve,
    from_pagerduty_trigger,
)
from gateway.mapping import incident_key as key_for
from gateway.pagerduty_intake import ENQUEUE_PATH, IntakeKeys, invalid_event
from gateway.payloads import (
    AlertmanagerPayload,
    GenericEvent,
    GrafanaPayload,
    PagerDutyAnswer,
    PagerDutyEvent,
    WebhookAnswer,
)

# The gateway comes from the request itself, not a FastAPI dependency: a (sync) dependency costs every webhook a
# thread-pool hop and the dependency machinery, which under a storm is a measurable share of its CPU.
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
enqueue_router = APIRouter(tags=["webhooks"])
REFUSALS = {
    401: {"description": "Missing or wrong bearer token (or Grafana signature)"},
    400: {"description": "Malformed JSON"},
    413: {"description": "Body larger than 1 MiB"},
    422: {"description": "The payload does not match the schema; `detail` names the field"},
    503: {"description": "Temporal unreachable (or the outbox database down): nothing was accepted, retry"},
}
PAGERDUTY_REFUSALS = {
    **REFUSALS,
    400: {"description": "Malformed JSON; an unknown routing key without a bearer token; on /v2/enqueue every "
                         "invalid event, in PagerDuty's shape: "
                         '{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}'},
    401: {"description": "A wrong bearer token (and no configured routing key)"},
}


def _answer(answer: Answer) -> WebhookAnswer:
    delivery = answer.delivery
    if answer.duplicate:
        if delivery is None:
            return WebhookAnswer(status="duplicate", incident_id=answer.predicted, queued=True,
                                 message="identical to a notification queued moments ago; nothing new")
        return WebhookAnswer(status="duplicate", incident_id=delivery.incident_id,
                             message="identical to a notification accepted moments ago; nothing new")
    if delivery is None:
        return WebhookAnswer(status="accepted", incident_id=answer.predicted, started=None, queued=True,
                             message=f"queued: it will be delivered to incident {answer.predicted} "
                                     "(Temporal has not taken it yet)")
    if delivery.outcome == "no_incident":
        return WebhookAnswer(status="ignored", incident_id=None,
                             message="no open incident for this alert group; resolved alerts open none")
    verb = "opened" if delivery.started else "updated"
    return WebhookAnswer(status="accepted", incident_id=delivery.incident_id, started=delivery.started,
                         message=f"incident {delivery.incident_id} {verb}")


async def _deliver(gateway: Gateway, group: AlertGroup) -> JSONResponse:
    return JSONResponse(_answer(await gateway.intake.accept(group)).body())


@router.post("/alertmanager", response_model=WebhookAnswer, responses=REFUSALS,
             summary="Alertmanager webhook (payload version 4)")
async def alertmanager(payload: AlertmanagerPayload, request: Request):
    """One alert group (`groupKey`) is one incident; each notification is a full snapshot of the group."""
    return await _deliver(gateway_of(request), from_alertmanager(payload))


@router.post("/grafana", response_model=WebhookAnswer, responses=REFUSALS,
             summary="Grafana alerting webhook (version 1), optional HMAC signature")
async def grafana(payload: GrafanaPayload, request: Request):
    """Like Alertmanager. With INCIDENTFLOW_GRAFANA_HMAC_SECRET set, `X-Grafana-Alerting-Signature` must be
    the hex HMAC-SHA256 of the body (of `timestamp:body` when INCIDENTFLOW_GRAFANA_HMAC_TIMESTAMP_HEADER is set)."""
    return await _deliver(gateway_of(request), from_grafana(payload))


@router.post("/generic", response_model=WebhookAnswer, responses=REFUSALS, summary="Generic alert (our schema)")
async def generic(event: GenericEvent, request: Request):
    """One alert; the same `key` reaches the same open incident, `status: resolved` resolves its alert."""
    return await _deliver(gateway_of(request), from_generic(event))


@enqueue_router.post("/v2/enqueue", status_code=202, response_model=PagerDutyAnswer, responses=PAGERDUTY_REFUSALS,
                     summary="PagerDuty Events API v2, at PagerDuty's own path (a drop-in for events.pagerduty.com)")
@router.post("/pagerduty", status_code=202, response_model=PagerDutyAnswer, responses=PAGERDUTY_REFUSALS,
             summary="PagerDuty Events API v2 (trigger, acknowledge, resolve)")
async def pagerduty(event: PagerDutyEvent, request: Request):
    """`trigger` opens or feeds the incident of `dedup_key` (generated when missing, and returned);
    `acknowledge` and `resolve` become the decisions of the same name on that incident, by `pagerduty`
    (`resolve` also marks the alert resolved).
    Answered 202 like PagerDuty. Authenticated by a bearer token or by a `routing_key` from
    INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS, whose service the incident is filed under. The routing key is never stored."""
    gateway = gateway_of(request)
    if event.event_action == "trigger":
        if event.payload is None:
            return _missing(request, "payload", "required for trigger")
        dedup_key = event.dedup_key or uuid.uuid4().hex
        intake_keys: IntakeKeys = request.app.state.pagerduty_intake_keys
        service = intake_keys.service_for(event.routing_key.get_secret_value())
        answer = await gateway.intake.accept(from_pagerduty_trigger(event, dedup_key, service))
    else:
        if not event.dedup_key:
            return _missing(request, "dedup_key", f"required for {event.event_action}")
        dedup_key = event.dedup_key
        decision = d.Acknowledge(by="pagerduty") if event.event_action == "acknowledge" else d.Resolve(
            by="pagerduty", summary="resolved via PagerDuty Events API")
        if event.event_action == "resolve":  # the alert first, so the incident never shows it firing after this
            await gateway.intake.accept(from_pagerduty_resolve(dedup_key))
        answer = await gateway.intake.decide("pagerduty", key_for("pagerduty", dedup_key), decision)
    body = PagerDutyAnswer(dedup_key=dedup_key, incident_id=answer.incident_id,
                           queued=True if answer.delivery is None else None).body()
    return JSONResponse(body, status_code=202)


def _missing(request: Request, field: str, requirement: str) -> JSONResponse:
    metrics, detail = gateway_of(request).metrics, f"invalid payload: {field}: {requirement}"
    if request.url.path == ENQUEUE_PATH:
        return invalid_event(metrics, "invalid_payload", [f"{field}: {requirement}"], detail)
    return rejection(metrics, 422, "invalid_payload", detail,
                     errors=[{"field": field, "message": f"Field {requirement}"}])
