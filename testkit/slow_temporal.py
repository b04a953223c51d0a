"""A Temporal that is slower than the gateway's answer budget, on demand: a client interceptor on the gateway's own
client holds every workflow start and signal until the test opens it (the server accepts a signal-with-start
without any worker, so stopping the worker would slow nothing). docs/gateway.md, "Outbox"."""

import asyncio
import threading

from temporalio.client import Interceptor, OutboundInterceptor

ANSWER_MS = 25  # the default answer budget (Settings.gateway_answer_within_ms): a held call is not waited for


class SlowTemporal(Interceptor):
    """Holds the gateway's workflow starts and signals until `open()`; counts them."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def open(self) -> None:
        self._open.set()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        gate = self

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input):
                await gate._held(f"start {input.id}")
                return await super().start_workflow(input)

            async def signal_workflow(self, input):
                await gate._held(f"signal {input.id}")
                return await super().signal_workflow(input)

        return Outbound(next)

    async def _held(self, call: str) -> None:
        with self._lock:
            self.calls.append(call)
        while not self._open.is_set():  # a threading.Event: the gateway runs its own event loop in its own thread
            await asyncio.sleep(0.01)
