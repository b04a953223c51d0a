"""The gateway's durable outbox (docs/gateway.md): notifications accepted but not yet handed to Temporal, in a
database every gateway replica shares, so a restarted gateway finds what a stopped one left. The table, its
location and its statements are `adapters.stores.outbox`; this module runs them.

A row is leased to the replica delivering it (`claimed_by`, `claimed_until`): its own rows from the insert
on, renewed while it runs, released when it stops; a row whose lease ran out (a crashed replica) is claimed
by whichever replica looks next. All database work runs on one thread of its own (SQLite has one writer
anyway), never on the event loop, and is group-committed: whatever is waiting when a transaction ends goes
into the next one together, so webhooks arriving together share one commit."""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa

from adapters.stores import outbox as sql
from adapters.stores.outbox import NewRow, OutboxRow, OutboxStats

log = logging.getLogger("incidentflow.gateway")
T = TypeVar("T")


class OutboxUnavailable(Exception):
    """The outbox database refused a write or a read: nothing was accepted, the sender should retry."""


class OutboxStore:
    def __init__(self, url: str, lease: timedelta, moved_from: str | None = None):
        """`moved_from`: a SQLite ledger whose `gateway_outbox` rows (left by a gateway from before the outbox
        had its own file) are moved here when the store opens."""
        self.url = url
        self.lease = lease
        self.moved_from = moved_from
        self._engine: sa.Engine | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-outbox")
        self._waiting: list[tuple[Callable[[sa.Connection], object], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None

    async def insert(self, row: NewRow, holder: str) -> OutboxRow:
        """Queue one row, leased to `holder`; returns it as stored (so its delivery need not read it back)."""
        return await self._run(lambda conn: sql.insert(conn, row, holder, self.lease))

    async def rows(self, key: str, holder: str) -> list[OutboxRow]:
        """This replica's rows of one key, oldest first."""
        return await self._run(lambda conn: sql.held_rows(conn, key, holder))

    async def delete(self, ids: list[int]) -> None:
        await self._run(lambda conn: sql.delete(conn, ids))

    async def note_failure(self, ids: list[int], error: str) -> None:
        await self._run(lambda conn: sql.note_failure(conn, ids, error))

    async def claim(self, holder: str) -> dict[str, set[int]]:
        """Renew this replica's leases and take over rows whose lease ran out (or was released); returns the
        rows this replica now holds: their ids by key."""
        return await self._run(lambda conn: sql.claim(conn, holder, self.lease))

    async def release(self, holder: str) -> None:
        """A replica stopping hands its rows over at once instead of letting their leases run out."""
        await self._run(lambda conn: sql.release(conn, holder))

    async def stats(self) -> OutboxStats:
        return await self._run(sql.stats)

    async def open(self) -> None:
        """Open (and migrate) the database now rather than on the first webhook."""
        await self._run(lambda conn: None)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._engine is not None:
            self._engine.dispose()

    # ── plumbing ─────────────────────────────────────────────────────────────────────────────────────
    async def _run(self, work: Callable[[sa.Connection], T]) -> T:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((work, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit_waiting())
        return await asyncio.shield(done)  # a request that goes away does not take its insert with it

    async def _commit_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await loop.run_in_executor(self._executor, self._transaction, [w for w, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the failure
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)

    def _transaction(self, works: list[Callable[[sa.Connection], object]]) -> list[object]:
        try:
            if self._engine is None:  # opened on first use, so a database that is down delays nothing but webhooks
                self._engine = sql.open_outbox(self.url, self.moved_from)
            with self._engine.begin() as conn:
                return [work(conn) for work in works]
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("gateway outbox: %s", exc)
            raise OutboxUnavailable("the gateway's outbox database is unavailable; retry later") from None
