"""PagerDuty Events v2 as senders speak it: the `routing_key` in the body is the credential (no bearer token),
and an event PagerDuty would refuse gets PagerDuty's own 400 answer,
`{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}` (plus our `detail`).
Routing keys come from INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS (routing key → service); none is ever stored."""

import hmac
import json

from fastapi.responses import JSONResponse

from gateway.metrics import Metrics

ENQUEUE_PATH = "/v2/enqueue"
PAGERDUTY_PATHS = (ENQUEUE_PATH, "/webhooks/pagerduty")


class IntakeKeys:
    def __init__(self, services: dict[str, str]):
        self._keys = [(key.encode(), service) for key, service in services.items()]

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def service_for(self, routing_key: str) -> str | None:
        """The service of a configured routing key, else None; compared with every key, so the time taken
        does not tell which one (or how much of one) matched."""
        presented, found = routing_key.encode(), None
        for key, service in self._keys:
            if hmac.compare_digest(presented, key):
                found = service
        return found

    def accepts_instead_of_a_token(self, path: str) -> bool:
        """/v2/enqueue always speaks PagerDuty; /webhooks/pagerduty does once routing keys are configured."""
        return path == ENQUEUE_PATH or (path in PAGERDUTY_PATHS and self.configured)


def routing_key_in(body: bytes) -> str | None:
    """The body's `routing_key` when it is a JSON object with a non-empty string there, else None."""
    try:
        event = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    key = event.get("routing_key") if isinstance(event, dict) else None
    return key if isinstance(key, str) and key.strip() else None


def invalid_event(metrics: Metrics, reason: str, errors: list[str], detail: str) -> JSONResponse:
    metrics.rejects.labels(reason).inc()
    return JSONResponse({"status": "invalid event", "message": "Event object is invalid", "errors": errors,
                         "detail": detail}, status_code=400)


def unknown_routing_key(metrics: Metrics, routing_key: str | None) -> JSONResponse:
    if routing_key is None:
        return invalid_event(metrics, "unknown_routing_key", ["routing_key is missing"],
                             "routing_key is missing: send the integration's routing key in the event "
                             "(or Authorization: Bearer <token>)")
    return invalid_event(metrics, "unknown_routing_key", ["Invalid routing key"],
                         "routing_key is not one of INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS "
                         "(or send Authorization: Bearer <token>)")
