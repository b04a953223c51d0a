"""The gateway outbox's table (`gateway_outbox`): where it lives, how it is opened, and its statements, each
run inside a transaction the caller holds (`gateway.outbox.OutboxStore` groups them; docs/gateway.md)."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from adapters.stores.ledger_engine import make_engine
from adapters.stores.ledger_migrations import migrate
from adapters.stores.ledger_schema import gateway_outbox as table

log = logging.getLogger("incidentflow.gateway")


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
    """Where the outbox of a gateway whose ledger is `ledger_url` lives: on SQLite `<ledger>-outbox.sqlite3`
    beside it, so webhooks never queue behind the worker's ledger writes (one writer per file); on PostgreSQL
    the ledger's database itself (docs/gateway.md, "Queued")."""
    url = sa.make_url(ledger_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return ledger_url
    ledger = Path(url.database)
    return url.set(database=str(ledger.with_name(f"{ledger.stem}-outbox{ledger.suffix}"))).render_as_string(False)


def open_outbox(url: str, moved_from: str | None = None) -> sa.Engine:
    """The engine of the outbox at `url`, its table created (SQLite) or the ledger migrated (PostgreSQL).
    `moved_from`: a SQLite ledger whose `gateway_outbox` rows, left by a gateway from before the outbox had a
    file of its own, are moved here."""
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_normal_sync)
            table.create(engine, checkfirst=True)  # its own file: the outbox table alone
            if moved_from and moved_from != url:
                _move_rows_left_in_the_ledger(engine, moved_from, url)
        else:
            migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def insert(conn: sa.Connection, row: NewRow, holder: str, lease: timedelta) -> OutboxRow:
    """Queue one row, leased to `holder`; returns it as stored."""
    now = _now()
    result = conn.execute(table.insert().values(
        key=row.key, kind=row.kind, source=row.source, body=row.body, queued_at=now,
        claimed_by=holder, claimed_until=now + lease))
    return OutboxRow(int(result.inserted_primary_key[0]), row.key, row.kind, row.source, row.body, now)


def held_rows(conn: sa.Connection, key: str, holder: str) -> list[OutboxRow]:
    """`holder`'s rows of one key, oldest first."""
    result = conn.execute(
        sa.select(table.c.id, table.c.key, table.c.kind, table.c.source, table.c.body, table.c.queued_at)
        .where(table.c.key == key, table.c.claimed_by == holder).order_by(table.c.id))
    return [OutboxRow(*r) for r in result]


def delete(conn: sa.Connection, ids: list[int]) -> None:
    conn.execute(table.delete().where(table.c.id.in_(ids)))


def note_failure(conn: sa.Connection, ids: list[int], error: str) -> None:
    conn.execute(table.update().where(table.c.id.in_(ids))
                 .values(attempts=table.c.attempts + 1, last_error=error[:2000]))


def claim(conn: sa.Connection, holder: str, lease: timedelta) -> dict[str, set[int]]:
    """Renew `holder`'s leases and take over rows whose lease ran out (or was released); returns the rows
    `holder` now holds: their ids by key."""
    now = _now()
    conn.execute(table.update().where(sa.or_(
        table.c.claimed_by == holder, table.c.claimed_until.is_(None), table.c.claimed_until < now,
    )).values(claimed_by=holder, claimed_until=now + lease))
    held: dict[str, set[int]] = {}
    for key, row_id in conn.execute(sa.select(table.c.key, table.c.id).where(table.c.claimed_by == holder)):
        held.setdefault(key, set()).add(int(row_id))
    return held


def release(conn: sa.Connection, holder: str) -> None:
    conn.execute(table.update().where(table.c.claimed_by == holder).values(claimed_by=None, claimed_until=None))


def stats(conn: sa.Connection) -> OutboxStats:
    depth, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(table.c.queued_at))).one()
    return OutboxStats(int(depth), oldest)


def _move_rows_left_in_the_ledger(engine: sa.Engine, ledger_url: str, url: str) -> None:
    """Rows are copied, then deleted from the ledger: a crash between the two delivers them twice, which
    an incident absorbs (a snapshot is the group's whole state; a repeated decision changes nothing)."""
    legacy_path = sa.make_url(ledger_url).database
    if not legacy_path or not Path(legacy_path).is_file():
        return
    legacy = make_engine(ledger_url)
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
        log.warning("moved %d outbox rows from the ledger database to %s", len(rows), url)
    finally:
        legacy.dispose()


def _sqlite_normal_sync(dbapi_connection, _record) -> None:
    # A commit survives the gateway crashing without an fsync per webhook; PostgreSQL is for full durability
    # (docs/gateway.md, "Queued").
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _now() -> datetime:
    return datetime.now(UTC)
