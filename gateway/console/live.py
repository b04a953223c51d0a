"""Live updates (server-sent events): an open incident page or list keeps one EventSource to the gateway, which
reads the incident(s) each second (one shared read for every page watching the same thing) and, when anything
changed, sends the page's live regions rendered again. The event's id is the version, so a reconnecting browser
is sent only what changed since the version it shows."""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from gateway.console import reading
from gateway.console.listing import Filters
from gateway.console.pages import parse_filters
from gateway.console.rendering import incident_regions, list_context, version_of
from gateway.console.session import ConsoleUser, UserDep
from gateway.console.templating import render_text
from gateway.context import gateway_of
from service.errors import Forbidden
from service.incidents import state_of

log = logging.getLogger("incidentflow.gateway.console")
router = APIRouter(include_in_schema=False)
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
STREAM_SECONDS = 120.0  # then the browser reconnects (EventSource does by itself), with its session checked again
RETRY_MS = 2000
PAUSE_AFTER_PROBLEM = 5  # polls skipped after a failed read (Temporal unreachable): the page says so meanwhile

SESSION_CHECK_SECONDS = 30.0  # a stream of a session that was logged out meanwhile ends within this
Reader = Callable[[], Awaitable[tuple[str, dict[str, str]]]]  # (version, {region id: html})


async def _events(request: Request, user: ConsoleUser, since: str | None, read: Reader) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    began = last_sent = checked = time.monotonic()
    shown = since
    while time.monotonic() - began < STREAM_SECONDS and not await request.is_disconnected() \
            and not _server_stopping(request):
        if time.monotonic() - checked > SESSION_CHECK_SECONDS:
            checked = time.monotonic()
            if await request.app.state.sessions.principal(user.session_id) is None:
                return
        try:
            answer = await read()
        except reading.Unreadable as exc:
            log.info("live update skipped: %s", exc.why)
            yield f"event: problem\ndata: {json.dumps(exc.why)}\n\n"
            last_sent = time.monotonic()
            await asyncio.sleep(POLL_SECONDS * PAUSE_AFTER_PROBLEM)
            continue
        if answer[0] != shown:
            shown = answer[0]
            last_sent = time.monotonic()
            yield f"id: {shown}\nevent: update\ndata: {json.dumps(answer[1], ensure_ascii=False)}\n\n"
        elif time.monotonic() - last_sent > HEARTBEAT_SECONDS:
            last_sent = time.monotonic()
            yield ": still here\n\n"
        await asyncio.sleep(POLL_SECONDS)


def _server_stopping(request: Request) -> bool:
    """Whether uvicorn is shutting down: it waits for every open response to end, and an event stream never
    would, so a stream ends once its connection is marked not to be kept alive (uvicorn's graceful shutdown)."""
    cycle = getattr(request.receive, "__self__", None)  # uvicorn's request-response cycle, when not wrapped
    return getattr(cycle, "keep_alive", True) is False


def _stream(request: Request, user: ConsoleUser, read: Reader) -> StreamingResponse:
    since = request.headers.get("last-event-id") or request.query_params.get("v")
    return StreamingResponse(_events(request, user, since, read), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _may_read(gateway, user, incident: str | None = None) -> None:
    try:
        await reading.may_read(gateway, user.principal, incident)
    except Forbidden as exc:
        raise HTTPException(403, exc.reason) from None


@router.get("/incidents/{incident}/events")
async def incident_events(request: Request, incident: str, user: UserDep) -> StreamingResponse:
    gateway = gateway_of(request)
    await _may_read(gateway, user, incident)

    opened = time.monotonic()  # the page was rendered before: nothing read earlier may be sent to it

    async def read():
        state = state_of(await reading.one_incident(gateway, incident, shared=True, not_before=opened))
        return version_of([state]), await incident_regions(request, user, state)

    return _stream(request, user, read)


@router.get("/events")
async def list_events(request: Request, user: UserDep) -> StreamingResponse:
    gateway = gateway_of(request)
    await _may_read(gateway, user)
    raw = {k: v for k, v in request.query_params.items() if k in Filters.model_fields}
    filters, _ = parse_filters(raw)

    opened = time.monotonic()

    async def read():
        states = await reading.incidents(gateway, open_only=filters.show == "open", shared=True, not_before=opened)
        context = list_context(request, user, states, filters)
        return context["version"], {"incident-rows": render_text(request, "parts/rows.html", context),
                                    "incident-count": render_text(request, "parts/count.html", context)}

    return _stream(request, user, read)

