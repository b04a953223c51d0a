"""Where the ledger lives and how it is opened: a SQLite file in the data dir (default) or PostgreSQL
(`INCIDENTFLOW_DATABASE_URL=postgresql+psycopg://…`), through SQLAlchemy 2 (docs/learning-loop.md). The
gateway's outbox opens its database the same way (`adapters.stores.outbox`)."""

import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection


class LedgerError(ValueError):
    """A ledger request that cannot be carried out (unknown incident, item already done, …)."""


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'ledger.sqlite3'}"


def configured_url() -> str:
    from settings import get_settings

    settings = get_settings()
    return settings.database_url or default_url(settings.data_dir)


def safe_url(url: str) -> str:
    """The URL for messages: the password hidden."""
    return sa.make_url(url).render_as_string(hide_password=True)


def create_private_file(database: Path) -> None:
    """A new SQLite file readable by its owner only, in a directory only the owner can enter. Made here before
    SQLite opens it because SQLite gives the -wal and -shm files the database file's mode."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        database = sa.make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            create_private_file(Path(database))
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        # SQLAlchemy's documented recipe for real transactions on pysqlite: the driver's own implicit
        # BEGIN (which skips DDL) is turned off and we issue BEGIN IMMEDIATE, so a migration step and its
        # schema_version row commit or roll back together and concurrent writers queue instead of failing.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql"):
        return sa.create_engine(url, pool_pre_ping=True)
    raise LedgerError(f"INCIDENTFLOW_DATABASE_URL {url.split(':')[0]!r}: use sqlite:///… or postgresql+psycopg://…")


def insert_new(conn: Connection, table: sa.Table, rows: Sequence[dict], keys: Sequence[str]) -> None:
    """Insert the `rows` whose `keys` are not stored yet; a row already there is left as it is (a retried
    activity adds nothing)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=list(keys)), list(rows))
