"""The FastAPI application: webhooks, PagerDuty's /v2/enqueue, REST API, /healthz, /metrics, /docs
(docs/gateway.md).

Feature routers are plain `app.include_router(...)` lines below; the Guard middleware authenticates
`/webhooks/*` and `/api/*` (and PagerDuty's paths by routing key), and bounds the body of those and of
`/slack/*`, so routers with their own authentication (Slack signatures) or public pages live under other
prefixes."""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from gateway import (
    api,
    api_docs,
    audit_api,
    auth_routes,
    console,
    errors,
    oncall_api,
    periodic_api,
    postmortem_api,
    readiness_api,
    reports_api,
    slack,
    status_page,
    tokens_api,
    training_api,
    twilio_webhooks,
    webhooks,
)
from gateway.auth_failures import AuthFailures
from gateway.context import Gateway
from gateway.credentials import Credentials, issued_tokens
from gateway.guard import Guard
from gateway.guard_tokens import parse_tokens
from gateway.heap import freeze_startup_heap
from gateway.outbox import OutboxUnavailable
from gateway.pagerduty_intake import IntakeKeys
from gateway.security_headers import SecurityHeaders
from observability import tracing
from settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    gateway = Gateway(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await gateway.intake.dispatcher.warm_up()  # and delivers what a stopped or crashed gateway left
        yield
        await gateway.intake.dispatcher.stop()

    app = FastAPI(
        title="incidentflow gateway", version="0.1.0", lifespan=lifespan,
        docs_url=None, redoc_url=None,  # FastAPI's pages load from a CDN: /docs is served locally (api_docs)
        description="Alert webhooks and the incident REST API. `/webhooks/*` and `/api/*` need "
                    "`Authorization: Bearer <INCIDENTFLOW_API_TOKEN>`; PagerDuty events (`/v2/enqueue`, "
                    "`/webhooks/pagerduty`) may instead carry a routing key from INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS.",
    )
    app.state.gateway = gateway
    app.state.pagerduty_intake_keys = intake_keys = IntakeKeys(settings.pagerduty_intake_services)
    errors.install(app, gateway.metrics)

    @app.exception_handler(OutboxUnavailable)
    async def outbox_unavailable(request: Request, exc: OutboxUnavailable) -> JSONResponse:
        return errors.rejection(gateway.metrics, 503, "outbox_unavailable", str(exc), headers={"Retry-After": "10"})
    token, secret = settings.api_token, settings.grafana_hmac_secret
    sessions = auth_routes.install(app, settings)  # browser login: /auth/*, docs/security.md "Logging in"
    credentials = Credentials(parse_tokens(token.get_secret_value() if token else None),
                              issued_tokens=issued_tokens(gateway.ledger, gateway.policy), sessions=sessions.principal)
    app.add_middleware(
        Guard, metrics=gateway.metrics, credentials=credentials,
        grafana_secret=secret.get_secret_value().encode() if secret else None,
        grafana_timestamp_header=settings.grafana_hmac_timestamp_header, intake_keys=intake_keys,
        body_timeout_seconds=settings.gateway_body_timeout_seconds,
        auth_failures=AuthFailures(settings.gateway_auth_failure_limit, settings.gateway_auth_failure_window_seconds),
    )
    app.add_middleware(SecurityHeaders)  # outside the Guard, so its refusals carry the headers too
    tracing.instrument_gateway(app, settings)  # outermost, so the Guard's answers are traced too

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
    async def metrics() -> Response:
        await gateway.intake.dispatcher.depth_metrics()
        await gateway.metrics.refresh_failing(gateway.temporal, gateway.settings.task_queue)
        return Response(gateway.metrics.render(), media_type=gateway.metrics.content_type)

    app.include_router(webhooks.router)
    app.include_router(webhooks.enqueue_router)
    app.include_router(api.router)
    app.include_router(tokens_api.router)
    app.include_router(audit_api.router)
    app.include_router(training_api.router)
    app.include_router(periodic_api.router)
    app.include_router(readiness_api.router)
    app.include_router(reports_api.router)
    app.include_router(oncall_api.router)
    app.include_router(postmortem_api.router)
    app.include_router(slack.router)
    app.include_router(twilio_webhooks.router)  # signed by Twilio, not a token: the Guard lets it through
    app.include_router(status_page.router)
    console.install(app)  # the incident console at / (docs/console.md)
    api_docs.install(app)
    return app


def served_app() -> FastAPI:
    """The app `incident gateway` serves (uvicorn's factory): after it is built, the start-up heap is frozen so a
    storm meets no long collection pauses (gateway/heap.py)."""
    app = create_app()
    freeze_startup_heap()
    return app
