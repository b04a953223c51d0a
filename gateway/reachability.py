"""Is Temporal there? The outbox absorbs a slow Temporal, not an absent one: while Temporal is known to be
unreachable a webhook is answered 503 and nothing is queued, so the sender keeps its own retry (docs/reliability.md
R2).

Every successful Temporal call counts as a sign of life. A webhook arriving after a quiet second first asks the
frontend `GetSystemInfo` without retries (the SDK's own retries would take ~10 s to give up on a start or a
signal); a failed probe marks Temporal unreachable until a
later probe or delivery succeeds. While marked, webhooks are refused at once and start at most one probe a
second, and a failed delivery starts one too. A frontend that answers but is slow to persist is not
"unreachable": its deliveries just take longer, and the outbox waits for them."""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from gateway.temporal import TemporalConnection, TemporalUnavailable

log = logging.getLogger("incidentflow.gateway")

FRESH_SECONDS = 1.0  # a successful call this recent needs no probe
PROBE_TIMEOUT = timedelta(seconds=2)
RECHECK_SECONDS = 1.0  # while unreachable: at most one probe this often


class Reachability:
    def __init__(self, connection: TemporalConnection):
        self.connection = connection
        self.unreachable = False
        self._last_ok = float("-inf")
        self._last_probe = float("-inf")
        self._probe: asyncio.Task[bool] | None = None
        self.on_recovered: Callable[[], None] = lambda: None

    def ok(self) -> None:
        self._last_ok = time.monotonic()
        if self.unreachable:
            self.unreachable = False
            log.warning("Temporal at %s is reachable again", self.connection.address)
            self.on_recovered()

    async def ensure(self) -> None:
        """Return when Temporal is reachable as far as we know; raise TemporalUnavailable when it is not."""
        if self.unreachable:
            if time.monotonic() - self._last_probe >= RECHECK_SECONDS:
                self.suspect()
            raise TemporalUnavailable(self.connection.describe())
        if time.monotonic() - self._last_ok <= FRESH_SECONDS:
            return
        if not await asyncio.shield(self._probing()):
            raise TemporalUnavailable(self.connection.describe())

    def suspect(self) -> None:
        """Something failed: find out in the background whether Temporal is still there."""
        self._probing()

    def _probing(self) -> asyncio.Task[bool]:
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._run_probe())
        return self._probe

    async def _run_probe(self) -> bool:
        self._last_probe = time.monotonic()
        try:
            client = await self.connection.client()
            await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=PROBE_TIMEOUT)
        except Exception as exc:  # refused, timed out, or any other way of not answering
            if not self.unreachable:
                log.warning("Temporal at %s is unreachable: %s", self.connection.address, exc or type(exc).__name__)
            self.unreachable = True
            return False
        self.ok()
        return True
