"""Every refusal the gateway gives: a JSON `{"detail": ...}` answer naming what is wrong, counted by reason
(on PagerDuty's own path, `/v2/enqueue`, in PagerDuty's 400 shape as well). No answer ever carries a stack
trace."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from gateway.metrics import Metrics
from gateway.pagerduty_intake import ENQUEUE_PATH, invalid_event
from gateway.temporal import TemporalUnavailable

log = logging.getLogger("incidentflow.gateway")


def rejection(metrics: Metrics, status: int, reason: str, detail: str, headers: dict | None = None,
              **extra) -> JSONResponse:
    metrics.rejects.labels(reason).inc()
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def _field(location: tuple) -> str:
    parts = [str(p) for p in location if p not in ("body",)]
    return ".".join(parts) or "body"


def describe_validation(errors: list[dict]) -> tuple[bool, str, list[dict]]:
    """(is_malformed_json, one line naming the fields, the errors as JSON)."""
    malformed = any(e.get("type") == "json_invalid" for e in errors)
    items = [{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")} for e in errors]
    line = "; ".join(f"{i['field']}: {i['message']}" for i in items[:10])
    return malformed, line, items


def install(app: FastAPI, metrics: Metrics) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        malformed, line, items = describe_validation(errors)
        status, reason, detail = 422, "invalid_payload", f"invalid payload: {line}"
        if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
            status, reason, detail = 400, "malformed_json", "malformed JSON body: the body is empty"
        elif malformed:
            message = next((e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"), None)
            status, reason, detail = 400, "malformed_json", "malformed JSON body" + (f": {message}" if message else "")
        if request.url.path == ENQUEUE_PATH:  # PagerDuty's senders expect its 400 with `errors` as strings
            listed = [detail] if status == 400 else [f"{i['field']}: {i['message']}" for i in items[:10]]
            return invalid_event(metrics, reason, listed, detail)
        if status == 400:
            return rejection(metrics, 400, reason, detail)
        return rejection(metrics, 422, reason, detail, errors=items)

    @app.exception_handler(TemporalUnavailable)
    async def unavailable(request: Request, exc: TemporalUnavailable) -> JSONResponse:
        return rejection(metrics, 503, "temporal_unavailable", str(exc), headers={"Retry-After": "10"})

    @app.exception_handler(RPCError)
    async def temporal_error(request: Request, exc: RPCError) -> JSONResponse:
        log.warning("Temporal refused %s %s: %s", request.method, request.url.path, exc)
        return rejection(metrics, 502, "temporal_error", f"Temporal refused the call: {exc.message}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reasons = {404: "not_found", 405: "method_not_allowed", 409: "conflict"}
        return rejection(metrics, exc.status_code, reasons.get(exc.status_code, f"http_{exc.status_code}"),
                         str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        # answered outside the other middleware (Starlette's outermost layer), so it sets nosniff itself
        return rejection(metrics, 500, "internal_error", "internal error; the gateway log has the details",
                         headers={"X-Content-Type-Options": "nosniff"})
