"""The small SQLite files in the data directory that the worker and the gateway both open (`status.db`,
`pager.db`, `statuspage.db`; docs/communications.md), on SQLAlchemy Core like the ledger."""

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateTable
from sqlalchemy.types import TypeDecorator

LOCK_TIMEOUT_SECONDS = 10


class IsoDateTime(TypeDecorator):
    """A timestamp kept as ISO 8601 text, as these files always have (so text order is time order)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> str | None:
        return value.isoformat() if value is not None else None

    def process_result_value(self, value: str | None, dialect) -> datetime | None:
        return datetime.fromisoformat(value) if value is not None else None


def sqlite_file_engine(path: Path, tables: sa.MetaData, wal: bool = False) -> sa.Engine:
    """An engine over the file at `path`. A connection per use (no pool), since several processes share the
    file and none should hold it between uses; each connection waits for another's write lock, and creates the
    directory and any of `tables` the file lacks (so a removed file comes back empty)."""
    path = Path(path)
    engine = sa.create_engine(sa.URL.create("sqlite", database=str(path)), poolclass=NullPool,
                              connect_args={"timeout": LOCK_TIMEOUT_SECONDS})
    schema = [str(CreateTable(table, if_not_exists=True).compile(dialect=engine.dialect))
              for table in tables.sorted_tables]

    @event.listens_for(engine, "do_connect")
    def _make_directory(_dialect, _record, _args, _params) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _prepare(dbapi_connection, _record) -> None:
        if wal:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
        for statement in schema:
            dbapi_connection.execute(statement)

    return engine
