"""The gateway's durable outbox: notifications accepted but not yet handed to Temporal (`gateway_outbox`), in a
database every gateway replica shares, so a restarted gateway finds what a stopped one left: the ledger's
PostgreSQL database (migration 4), or on SQLite a file of its own next to the ledger's (`outbox_url`).

A row is leased to the replica delivering it (`claimed_by`, `claimed_until`): its own rows from the insert
on, renewed while it runs, released when it stops; a row whose lease ran out (a crashed replica) is claimed
by whichever replica looks next. All database work runs on one thread of its own (SQLite has one writer
anyway), never on the event loop, and is group-committed: whatever is waiting when a transaction ends goes
into the next one together (under a storm, dozens of webhooks share one commit instead of queueing for one
each)."""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from adapters.stores.ledger import make_engine
from adapters.stores.ledger_migrations import migrate
from adapters.stores.ledger_schema import gateway_outbox as table

log = logging.getLogger("incidentflow.gateway")
T = TypeVar("T")


class OutboxUnavailable(Exception):
    """The outbox database refused a write or a read: nothing was accepted, the sender should retry."""


@dataclass(frozen=True)
class NewRow:
    key: str  # the incident key: every row of one alert group is delivered in order
    kind: str  # "snapshot" (an AlertGroup) or "decision" (a Decision for the group's incident)
    source: str
    body: str  # JSON


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    kind: str
    source: str
    body: str
    queued_at: datetime


@dataclass(frozen=True)
class OutboxStats:
    depth: int
    oldest_queued_at: datetime | None


def outbox_url(ledger_url: str) -> str:
    """Where the outbox of a gateway whose ledger is `ledger_url` lives. SQLite has one writer per file: in the
    ledger's file every webhook queued behind the worker's ledger writes (the paced storm's inserts: p99 32 ms,
    worst 90 ms, while 50 incidents opened; 15 and 18 ms in a file of their own, docs/performance.md). So on
    SQLite the outbox is `<ledger>-outbox.sqlite3` beside it; PostgreSQL locks rows, and the ledger's
    database serves both."""
    url = sa.make_url(ledger_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return ledger_url
    ledger = Path(url.database)
    return url.set(database=str(ledger.with_name(f"{ledger.stem}-outbox{ledger.suffix}"))).render_as_string(False)


class OutboxStore:
    def __init__(self, url: str, lease: timedelta, moved_from: str | None = None):
        """`moved_from`: a SQLite ledger whose `gateway_outbox` rows (left by a gateway from before the outbox
        had its own file) are moved here when the store opens."""
        self.url = url
        self.lease = lease
        self.moved_from = moved_from if moved_from != url else None
        self._engine: sa.Engine | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-outbox")
        self._waiting: list[tuple[Callable[[sa.Connection], object], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None

    async def insert(self, row: NewRow, holder: str) -> OutboxRow:
        """Queue one row, leased to `holder`; returns it as stored (so its delivery need not read it back)."""
        def insert(conn: sa.Connection) -> OutboxRow:
            now = _now()
            result = conn.execute(table.insert().values(
                key=row.key, kind=row.kind, source=row.source, body=row.body, queued_at=now,
                claimed_by=holder, claimed_until=now + self.lease))
            return OutboxRow(int(result.inserted_primary_key[0]), row.key, row.kind, row.source, row.body, now)
        return await self._run(insert)

    async def rows(self, key: str, holder: str) -> list[OutboxRow]:
        """This replica's rows of one key, oldest first."""
        def select(conn: sa.Connection) -> list[OutboxRow]:
            result = conn.execute(
                sa.select(table.c.id, table.c.key, table.c.kind, table.c.source, table.c.body, table.c.queued_at)
                .where(table.c.key == key, table.c.claimed_by == holder).order_by(table.c.id))
            return [OutboxRow(*r) for r in result]
        return await self._run(select)

    async def delete(self, ids: list[int]) -> None:
        await self._run(lambda conn: conn.execute(table.delete().where(table.c.id.in_(ids))))

    async def note_failure(self, ids: list[int], error: str) -> None:
        await self._run(lambda conn: conn.execute(
            table.update().where(table.c.id.in_(ids))
            .values(attempts=table.c.attempts + 1, last_error=error[:2000])))

    async def claim(self, holder: str) -> dict[str, set[int]]:
        """Renew this replica's leases and take over rows whose lease ran out (or was released); returns the
        rows this replica now holds: their ids by key."""
        def claim(conn: sa.Connection) -> dict[str, set[int]]:
            now = _now()
            conn.execute(table.update().where(sa.or_(
                table.c.claimed_by == holder, table.c.claimed_until.is_(None), table.c.claimed_until < now,
            )).values(claimed_by=holder, claimed_until=now + self.lease))
            held: dict[str, set[int]] = {}
            for key, row_id in conn.execute(sa.select(table.c.key, table.c.id).where(table.c.claimed_by == holder)):
                held.setdefault(key, set()).add(int(row_id))
            return held
        return await self._run(claim)

    async def release(self, holder: str) -> None:
        """A replica stopping hands its rows over at once instead of letting their leases run out."""
        await self._run(lambda conn: conn.execute(
            table.update().where(table.c.claimed_by == holder).values(claimed_by=None, claimed_until=None)))

    async def stats(self) -> OutboxStats:
        def count(conn: sa.Connection) -> OutboxStats:
            depth, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(table.c.queued_at))).one()
            return OutboxStats(int(depth), oldest)
        return await self._run(count)

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
            with self._opened().begin() as conn:
                return [work(conn) for work in works]
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("gateway outbox: %s", exc)
            raise OutboxUnavailable("the gateway's outbox database is unavailable; retry later") from None

    def _opened(self) -> sa.Engine:
        if self._engine is None:  # opened on first use, so a database that is down delays nothing but webhooks
            engine = make_engine(self.url)
            try:
                if engine.dialect.name == "sqlite":
                    event.listen(engine, "connect", _sqlite_normal_sync)
                    table.create(engine, checkfirst=True)  # its own file: the outbox table alone
                    self._move_rows_left_in_the_ledger(engine)
                else:
                    migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def _move_rows_left_in_the_ledger(self, engine: sa.Engine) -> None:
        """Rows are copied, then deleted from the ledger: a crash between the two delivers them twice, which
        an incident absorbs (a snapshot is the group's whole state; a repeated decision changes nothing)."""
        legacy_path = sa.make_url(self.moved_from).database if self.moved_from else None
        if not legacy_path or not Path(legacy_path).is_file():
            return
        legacy = make_engine(self.moved_from)
        try:
            with legacy.connect() as conn:
                if not sa.inspect(conn).has_table(table.name):
                    return
                rows = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]
            if not rows:
                return
            with engine.begin() as conn:  # in their order, after nothing: the store has not served yet
                conn.execute(table.insert(), [{**r, "id": None, "claimed_by": None, "claimed_until": None}
                                              for r in rows])
            with legacy.begin() as conn:
                conn.execute(table.delete().where(table.c.id.in_([r["id"] for r in rows])))
            log.warning("moved %d outbox rows from the ledger database to %s", len(rows), self.url)
        finally:
            legacy.dispose()


def _sqlite_normal_sync(dbapi_connection, _record) -> None:
    # WAL with synchronous=NORMAL: a commit survives the gateway crashing (the point of the outbox) without an
    # fsync per webhook; only an OS crash or power cut can lose the last commits. The laptop trade-off
    # `incident dev` makes for Temporal too; production uses PostgreSQL (docs/gateway.md).
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _now() -> datetime:
    return datetime.now(UTC)
