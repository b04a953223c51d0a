"""The gateway's Temporal client: connected on first use, and every way of not reaching Temporal turned
into one `TemporalUnavailable` (answered 503, so Alertmanager and PagerDuty senders retry)."""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger("incidentflow.gateway")

RPC_TIMEOUT = timedelta(seconds=5)
CONNECT_TIMEOUT_SECONDS = 5.0
UNREACHABLE_CODES = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED,
                     RPCStatusCode.RESOURCE_EXHAUSTED}


class TemporalUnavailable(Exception):
    """Temporal did not answer; nothing was accepted, the sender should retry."""


class TemporalConnection:
    def __init__(self, address: str, namespace: str, interceptors: list | None = None):
        self.address = address
        self.namespace = namespace
        self.interceptors = interceptors or []  # tracing (observability/tracing.py), when enabled
        self._client: Client | None = None
        self.reports_started = True
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    client = await asyncio.wait_for(
                        Client.connect(self.address, namespace=self.namespace,
                                       data_converter=pydantic_data_converter, interceptors=self.interceptors),
                        timeout=CONNECT_TIMEOUT_SECONDS,
                    )
                    info = await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=RPC_TIMEOUT)
                    # Real servers say whether signal-with-start started a run; the time-skipping test server
                    # (no version) always says no, so the intake falls back to noticing new workflow ids.
                    self.reports_started = bool(info.server_version)
                    self._client = client
                except (RuntimeError, TimeoutError, OSError, RPCError) as exc:
                    log.warning("cannot reach Temporal at %s: %s", self.address, exc)
                    raise TemporalUnavailable(self.describe()) from None
        return self._client

    def describe(self) -> str:
        return f"Temporal at {self.address} (namespace {self.namespace}) is unreachable; retry later"


def is_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, RPCError):
        return exc.status in UNREACHABLE_CODES
    return isinstance(exc, TimeoutError | ConnectionError)


@contextlib.contextmanager
def unavailable_as(connection: TemporalConnection) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if is_unreachable(exc):
            log.warning("Temporal call failed: %s", exc)
            raise TemporalUnavailable(connection.describe()) from None
        raise
