"""Delivers the outbox to Temporal: one delivery in flight per alert-group key, each taking every row of the key
queued so far (`gateway.coalesce`), rows deleted only after Temporal accepted them. The rows this replica
queued itself are delivered from memory (`gateway.pending`), not read back; the database is read for whatever
memory cannot vouch for (rows taken over, a lease that may have run out, a write that failed).

A webhook's request holds a `Ticket` for its row: resolved when a delivery including the row succeeded, or
marked failed when one did not (the row stays and is retried, unless the request, still waiting, withdraws
it and answers the error). Temporal unreachable: every key pauses, backing off up to 30 s. Any other
failure backs off that key alone. A housekeeping loop renews this replica's leases, takes over rows whose
lease ran out, and restarts any key that still has rows — so rows left by a stopped or crashed gateway
are delivered by the next one that runs."""

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.service import RPCError

from gateway.coalesce import Batch, next_batch
from gateway.metrics import Metrics
from gateway.outbox import NewRow, OutboxRow, OutboxStore, OutboxUnavailable
from gateway.pending import Pending
from gateway.reachability import Reachability
from gateway.temporal import TemporalUnavailable

log = logging.getLogger("incidentflow.gateway")

LEASE = timedelta(seconds=15)  # a crashed replica's rows wait at most this long for another one
HOUSEKEEPING_SECONDS = LEASE.total_seconds() / 3
FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 0.5, 30.0
RESUME_CHECK_SECONDS = 0.5


@dataclass(eq=False)
class Ticket:
    """One queued row, as the requests answering for it see it."""

    row_id: int
    key: str
    predicted: str | None  # the incident the row is expected to reach (answered while it is still queued)
    delivered: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    failed: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    answered: bool = False  # someone was told it is accepted: from then on it is never withdrawn
    withdrawn: bool = False
    context: contextvars.Context = field(default_factory=contextvars.copy_context)  # the request's (its trace)


class Dispatcher:
    def __init__(self, store: OutboxStore, deliver: Callable[[Batch], Awaitable], reachability: Reachability,
                 metrics: Metrics):
        self.store = store
        self.deliver = deliver
        self.reachability = reachability
        self.metrics = metrics
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tickets: dict[int, Ticket] = {}
        self._pending = Pending(store.lease)
        self._draining: dict[str, asyncio.Task] = {}
        self._dirty: set[str] = set()
        self._housekeeping: asyncio.Task | None = None
        self._resume_at = 0.0
        self._backoff = 0.0
        self._stopping = False
        reachability.on_recovered = self._resume

    # ── lifecycle ────────────────────────────────────────────────────────────────────────────────────
    async def warm_up(self) -> None:
        """At startup: the outbox database opened (and migrated) before the first webhook, not by it. (Temporal
        is connected by the first webhook or the first delivery, as ever: client interceptors can be added
        until then.)"""
        with contextlib.suppress(OutboxUnavailable):  # logged; the first webhook tries again (and answers 503)
            await self.store.open()
        self.start()

    def start(self) -> None:
        if self._housekeeping is None and not self._stopping:
            self._housekeeping = _detached(self._keep_house())

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t for t in (self._housekeeping, *self._draining.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await self.store.release(self.holder)
        except OutboxUnavailable:
            log.warning("outbox leases not released: other replicas take the rows over when they run out")
        await asyncio.to_thread(self.store.close)

    # ── requests ─────────────────────────────────────────────────────────────────────────────────────
    async def enqueue(self, row: NewRow, predicted: str | None) -> Ticket:
        self.start()  # served without a lifespan (tests): the first webhook starts the housekeeping
        leased_until = self._pending.began_insert()
        stored = await self.store.insert(row, self.holder)
        self._pending.add(stored, leased_until)
        ticket = Ticket(stored.id, row.key, predicted)
        self._tickets[stored.id] = ticket
        self.kick(row.key)
        return ticket

    async def withdraw(self, ticket: Ticket) -> None:
        """The request answers an error instead: its row must not be delivered after all (if not too late)."""
        if ticket.withdrawn:
            return
        ticket.withdrawn = True
        self._tickets.pop(ticket.row_id, None)
        self._pending.settle(ticket.key, [ticket.row_id])
        try:
            await self.store.delete([ticket.row_id])
        except OutboxUnavailable:
            log.warning("outbox row %s not withdrawn; it will be delivered anyway", ticket.row_id)
            self._pending.doubt(ticket.key)

    def kick(self, key: str) -> None:
        if self._stopping:
            return
        self._dirty.add(key)
        if key not in self._draining:  # not in the context of the request that happens to kick it
            self._draining[key] = _detached(self._drain(key))

    # ── delivery ─────────────────────────────────────────────────────────────────────────────────────
    async def _drain(self, key: str) -> None:
        backoff = 0.0
        try:
            while True:
                self._dirty.discard(key)
                while (paused := self._resume_at - time.monotonic()) > 0:
                    await asyncio.sleep(min(paused, RESUME_CHECK_SECONDS))  # Temporal may come back sooner
                try:
                    rows = await self._rows(key)
                except OutboxUnavailable:
                    backoff = _next(backoff)
                    await asyncio.sleep(backoff)
                    continue
                if not rows:
                    if key in self._dirty:
                        continue
                    self._forget_tickets(key)
                    return
                try:
                    batch = next_batch(rows)
                except ValueError:  # a row this version cannot read: it blocks its key (order), loudly
                    log.exception("outbox rows %s of %s cannot be read", [r.id for r in rows], key)
                    backoff = _next(backoff)
                    await asyncio.sleep(backoff)
                    continue
                try:
                    delivery = await self._delivered(batch)
                except Exception as exc:  # noqa: BLE001 - every failure keeps the rows for a retry
                    backoff = self._failed(batch, exc, backoff)
                    await asyncio.sleep(backoff)
                    continue
                backoff = 0.0
                self._succeeded(batch, delivery)
                self._pending.settle(key, batch.ids)
                try:
                    await self.store.delete(batch.ids)
                except OutboxUnavailable:  # left behind: delivered again (read back), which is harmless
                    self._pending.doubt(key)
        except Exception:
            log.exception("outbox delivery of %s stopped; housekeeping restarts it", key)
        finally:
            self._draining.pop(key, None)

    async def _rows(self, key: str) -> list[OutboxRow]:
        """The key's rows this replica holds, oldest first: from memory when it knows them all."""
        rows = self._pending.rows(key)
        if rows is None:
            rows = await self.store.rows(key, self.holder)
            self._pending.read_from_database(key, rows)
        return rows

    def _delivered(self, batch: Batch) -> asyncio.Task:
        """The delivery, in the context of the newest row's request (so its trace goes on to the workflow)."""
        ticket = self._tickets.get(batch.rows[-1].id)
        return _detached(self.deliver(batch), ticket.context if ticket is not None else None)

    def _resume(self) -> None:
        """Temporal answered again: every paused key goes on now rather than when its backoff ends."""
        self._resume_at = 0.0
        self._backoff = 0.0

    def _succeeded(self, batch: Batch, delivery) -> None:
        self.reachability.ok()
        self._backoff = 0.0
        self.metrics.outbox_deliveries.labels("delivered").inc()
        self.metrics.outbox_rows_delivered.inc(len(batch.rows))
        newest = batch.rows[-1].id
        for row in batch.rows:
            ticket = self._tickets.pop(row.id, None)
            if ticket is not None and not ticket.delivered.done():
                # the newest row carries the outcome; an older one coalesced into it did not open the incident
                same = row.id == newest or not delivery.started
                ticket.delivered.set_result(delivery if same else delivery.model_copy(update={"outcome": "signalled"}))
                ticket.context = contextvars.Context()  # the dedup cache keeps the ticket, not the request's spans

    def _failed(self, batch: Batch, exc: Exception, backoff: float) -> float:
        for row in batch.rows:
            ticket = self._tickets.get(row.id)
            if ticket is not None and not ticket.failed.done():
                ticket.failed.set_result(exc)
        asyncio.ensure_future(self._note_failure(batch.ids, f"{type(exc).__name__}: {exc}"))
        if isinstance(exc, TemporalUnavailable):
            self.metrics.outbox_deliveries.labels("temporal_unavailable").inc()
            self.reachability.suspect()
            self._backoff = _next(self._backoff)
            self._resume_at = time.monotonic() + self._backoff  # every key waits: Temporal is the problem
            return 0.0
        self.metrics.outbox_deliveries.labels("error").inc()
        log.warning("outbox delivery of %s failed (rows %s), retrying: %s", batch.key, batch.ids, exc,
                    exc_info=not _expected(exc))
        return _next(backoff)

    async def _note_failure(self, ids: list[int], error: str) -> None:
        with contextlib.suppress(OutboxUnavailable):
            await self.store.note_failure(ids, error)

    def _forget_tickets(self, key: str) -> None:
        """No rows of the key left here: any ticket of it went to another replica (its lease ran out)."""
        for row_id in [i for i, t in self._tickets.items() if t.key == key]:
            self._tickets.pop(row_id)

    # ── housekeeping ─────────────────────────────────────────────────────────────────────────────────
    async def _keep_house(self) -> None:
        while True:
            if self.reachability.unreachable:
                self.reachability.suspect()  # notices Temporal coming back even while no webhook arrives
            try:
                held = await self.store.claim(self.holder)
                self._pending.claimed(held)
                for key in held:
                    self.kick(key)
            except OutboxUnavailable:
                pass  # logged by the store; the next round tries again
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async def depth_metrics(self) -> None:
        """Refresh the outbox gauges (the whole outbox, every replica's rows) for a /metrics scrape."""
        try:
            stats = await self.store.stats()
        except OutboxUnavailable:
            return
        self.metrics.outbox_depth.set(stats.depth)
        age = 0.0
        if stats.oldest_queued_at is not None:
            age = max(0.0, (datetime.now(UTC) - stats.oldest_queued_at).total_seconds())
        self.metrics.outbox_oldest_age.set(age)


def _detached(coroutine, context: contextvars.Context | None = None) -> asyncio.Task:
    """A task in the given context, or a clean one: not in the context of whichever request started it."""
    return asyncio.get_running_loop().create_task(coroutine, context=context or contextvars.Context())


def _next(backoff: float) -> float:
    return min(MAX_BACKOFF_SECONDS, backoff * 2) if backoff else FIRST_BACKOFF_SECONDS


def _expected(exc: Exception) -> bool:
    return isinstance(exc, RPCError)  # Temporal refused the call; anything else is a bug worth its traceback
