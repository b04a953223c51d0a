"""Identical notifications answered without queueing them again.

Alertmanager repeats a group every `group_interval`, and an HA pair sends each notification twice at
nearly the same moment. A notification is a duplicate when it equals the *latest* snapshot accepted for the
same key within the window — so firing → resolved → firing again (flapping) is three rows, never swallowed.
A snapshot counts as seen once it is durably queued in the outbox (the HA twin is then answered
`duplicate`); concurrent requests with the same digest wait for the one insert in flight instead of making
their own, and a failed one is remembered by nobody, so the sender's retry goes through. `forget` drops a
snapshot that was withdrawn after all (its delivery failed while its request was still waiting).
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Deduplicator(Generic[T]):
    def __init__(self, window_seconds: float, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.window = window_seconds
        self.max_keys = max_keys
        self.clock = clock
        self._latest: OrderedDict[str, tuple[str, float, T]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Future[T]] = {}

    def recent(self, key: str, digest: str) -> T | None:
        entry = self._latest.get(key)
        if entry is None:
            return None
        latest_digest, at, value = entry
        if latest_digest != digest or self.clock() - at > self.window:
            return None
        return value

    async def run(self, key: str, digest: str, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """Return (result, shared): shared is True when no new call was made for this request."""
        recent = self.recent(key, digest)
        if recent is not None:
            return recent, True
        flight = self._in_flight.get(digest)
        if flight is not None:
            # shield: one impatient client disconnecting must not cancel the call others wait for
            return await asyncio.shield(flight), True
        flight = asyncio.ensure_future(call())
        self._in_flight[digest] = flight
        flight.add_done_callback(lambda f: self._settle(key, digest, f))
        return await asyncio.shield(flight), False

    def forget(self, key: str, digest: str) -> None:
        entry = self._latest.get(key)
        if entry is not None and entry[0] == digest:
            del self._latest[key]

    def _settle(self, key: str, digest: str, flight: asyncio.Future[T]) -> None:
        self._in_flight.pop(digest, None)
        if flight.cancelled() or flight.exception() is not None:
            return
        self._latest[key] = (digest, self.clock(), flight.result())
        self._latest.move_to_end(key)
        while len(self._latest) > self.max_keys:
            self._latest.popitem(last=False)
