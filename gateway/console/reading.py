"""Incidents read for the console through the service layer (authorized as `read`, like GET /api/incidents), and a
short-lived cache that lets every live page polling the same incident or list share one read."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from domain.identity.principal import Principal
from domain.incident.state import IncidentState
from gateway.context import Gateway
from gateway.temporal import TemporalUnavailable, unavailable_as
from service.authorization import authorize
from service.errors import IncidentNotFound, ServiceError
from service.failing import FailingIncident
from service.incidents import fetch_incidents, read_incident, state_of
from service.temporal import incident_id

SHARED_FOR_SECONDS = 0.5  # a live page polls each second: readers within this share one answer


class Unreadable(Exception):
    """The incident cannot be shown now (no such incident, still starting, Temporal unreachable): `why` says."""

    def __init__(self, why: str, status: int):
        super().__init__(why)
        self.why, self.status = why, status


class Shared:
    """One read in flight per key, its answer kept for SHARED_FOR_SECONDS: every reader gets an answer whose read
    began at or after its `not_before` (time.monotonic()), so a page is never sent an older state than the one
    it was rendered from."""

    def __init__(self) -> None:
        self._answers: dict[str, tuple[float, object]] = {}
        self._pending: dict[str, tuple[float, asyncio.Future]] = {}

    async def get(self, key: str, read: Callable[[], Awaitable[object]], not_before: float = 0.0) -> object:
        kept = self._answers.get(key)
        if kept is not None and kept[0] >= not_before and time.monotonic() - kept[0] < SHARED_FOR_SECONDS:
            return kept[1]
        pending = self._pending.get(key)
        if pending is not None and pending[0] >= not_before:
            return await asyncio.shield(pending[1])
        began = time.monotonic()
        future = asyncio.ensure_future(read())
        self._pending[key] = (began, future)
        try:
            answer = await asyncio.shield(future)
            self._answers[key] = (began, answer)
            if len(self._answers) > 1000:  # incidents nobody watches any more
                self._answers.clear()
            return answer
        finally:
            if self._pending.get(key, (None, None))[1] is future:
                del self._pending[key]


SHARED = Shared()


async def may_read(gateway: Gateway, principal: Principal, incident: str | None = None) -> None:
    """Forbidden (audited) unless `principal` may read incidents."""
    await asyncio.to_thread(authorize, principal, "read", incident=incident_id(incident) if incident else None,
                            ledger=gateway.ledger)


async def one_incident(gateway: Gateway, incident: str, shared: bool = False,
                       not_before: float = 0.0) -> IncidentState | FailingIncident:
    async def read():
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            return await read_incident(client, incident)

    try:
        return await (SHARED.get(f"incident:{incident}", read, not_before) if shared else read())
    except IncidentNotFound as exc:
        raise Unreadable(str(exc), 404) from None
    except TemporalUnavailable as exc:
        raise Unreadable(str(exc), 503) from None
    except ServiceError as exc:  # still starting
        raise Unreadable(str(exc), 409) from None


async def incidents(gateway: Gateway, open_only: bool, shared: bool = False,
                    not_before: float = 0.0) -> list[IncidentState]:
    async def read():
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            return [state_of(e) for e in await fetch_incidents(client, open_only=open_only)]

    try:
        return await (SHARED.get(f"list:{open_only}", read, not_before) if shared else read())
    except TemporalUnavailable as exc:
        raise Unreadable(str(exc), 503) from None
