"""Versioned ledger migrations: a `schema_version` table and an ordered list of steps.

Why not Alembic: the ledger has a handful of tables, must upgrade itself wherever it is opened (worker,
CLI, tests) without an `alembic.ini`/`env.py` beside it, and only ever needs additive changes. Each step
runs in its own transaction together with its `schema_version` row (PostgreSQL has transactional DDL; on
SQLite the ledger engine issues its own BEGIN, see `adapters.stores.ledger_engine.make_engine`), so a failed step
leaves the previous version intact. Steps only add: new tables, new nullable or defaulted columns,
backfills. Nothing is dropped or rewritten, so no upgrade loses data. Concurrent openers serialise on a
PostgreSQL advisory lock / SQLite's write lock.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIGRATION_LOCK_ID = 7_000_007


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _ts(conn: Connection) -> str:
    return "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"


def _v1_initial(conn: Connection) -> None:
    ts, json = _ts(conn), ("JSONB" if conn.dialect.name == "postgresql" else "JSON")
    for ddl in (
        f"""CREATE TABLE incidents (
            id VARCHAR(120) PRIMARY KEY, service VARCHAR(120) NOT NULL, severity VARCHAR(8) NOT NULL,
            title VARCHAR(500) NOT NULL, source VARCHAR(40) NOT NULL, alertname VARCHAR(200),
            fingerprints {json} NOT NULL, phase VARCHAR(20) NOT NULL, drill BOOLEAN NOT NULL,
            declared_by VARCHAR(80) NOT NULL, ic VARCHAR(80), impact TEXT, summary TEXT,
            started_at {ts} NOT NULL, detected_at {ts} NOT NULL, acknowledged_at {ts}, mitigated_at {ts},
            resolved_at {ts}, closed_at {ts}, root_cause_category VARCHAR(80), snapshot {json} NOT NULL,
            version INTEGER NOT NULL, updated_at {ts} NOT NULL)""",
        f"""CREATE TABLE incident_events (
            incident_id VARCHAR(120) NOT NULL REFERENCES incidents(id), event_id VARCHAR(200) NOT NULL,
            phase VARCHAR(20) NOT NULL, severity VARCHAR(8) NOT NULL, at {ts} NOT NULL,
            PRIMARY KEY (incident_id, event_id))""",
        f"""CREATE TABLE timeline_entries (
            incident_id VARCHAR(120) NOT NULL REFERENCES incidents(id), seq INTEGER NOT NULL, at {ts} NOT NULL,
            kind VARCHAR(40) NOT NULL, actor VARCHAR(120) NOT NULL, text TEXT NOT NULL,
            PRIMARY KEY (incident_id, seq))""",
        f"""CREATE TABLE pages (
            incident_id VARCHAR(120) NOT NULL REFERENCES incidents(id), key VARCHAR(400) NOT NULL,
            tier VARCHAR(20) NOT NULL, target VARCHAR(80), at {ts} NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (incident_id, key))""",
        f"""CREATE TABLE postmortems (
            incident_id VARCHAR(120) PRIMARY KEY REFERENCES incidents(id), status VARCHAR(20) NOT NULL,
            owner VARCHAR(80), deadline {ts} NOT NULL, drafted_at {ts} NOT NULL, path TEXT,
            markdown TEXT NOT NULL, published_at {ts}, published_by VARCHAR(80))""",
        f"""CREATE TABLE action_items (
            id {"SERIAL" if conn.dialect.name == "postgresql" else "INTEGER"} PRIMARY KEY
                {"" if conn.dialect.name == "postgresql" else "AUTOINCREMENT"},
            incident_id VARCHAR(120) NOT NULL REFERENCES incidents(id), title VARCHAR(500) NOT NULL,
            owner VARCHAR(80) NOT NULL, due DATE NOT NULL, term VARCHAR(10) NOT NULL, status VARCHAR(10) NOT NULL,
            created_at {ts} NOT NULL, created_by VARCHAR(80) NOT NULL, done_at {ts}, done_by VARCHAR(80))""",
        "CREATE INDEX ix_incidents_started_at ON incidents (started_at)",
        "CREATE INDEX ix_action_items_owner_status ON action_items (owner, status)",
    ):
        conn.exec_driver_sql(ddl)


def _v2_reminders_and_recurrence(conn: Connection) -> None:
    """Reminder bookkeeping (postmortem deadline notice, action-item nags) and recurrence links."""
    ts = _ts(conn)
    for ddl in (
        "ALTER TABLE incidents ADD COLUMN recurrence_of VARCHAR(120)",
        f"ALTER TABLE postmortems ADD COLUMN missed_notified_at {ts}",
        "ALTER TABLE postmortems ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0",
        f"ALTER TABLE action_items ADD COLUMN last_reminded_at {ts}",
        "ALTER TABLE action_items ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0",
    ):
        conn.exec_driver_sql(ddl)


def _v3_oncall_overrides(conn: Connection) -> None:
    """On-call overrides move out of `overrides.json` (issue 5). The file itself is imported by
    `adapters.stores.overrides.OverrideStore` the first time it opens the ledger: a migration step knows the
    database, not the data directory."""
    ts = _ts(conn)
    for ddl in (
        f"""CREATE TABLE oncall_overrides (
            id VARCHAR(40) PRIMARY KEY, tier VARCHAR(20) NOT NULL, who VARCHAR(80) NOT NULL,
            starts_at {ts} NOT NULL, ends_at {ts} NOT NULL, reason TEXT NOT NULL,
            created_at {ts} NOT NULL, created_by VARCHAR(80))""",
        "CREATE INDEX ix_oncall_overrides_ends_at ON oncall_overrides (ends_at)",
    ):
        conn.exec_driver_sql(ddl)


def _v4_gateway_outbox(conn: Connection) -> None:
    """The gateway's outbox (issue 10): notifications accepted but not yet handed to Temporal. Rows are short-lived
    (deleted once Temporal accepted them); `claimed_by`/`claimed_until` is the lease of the replica delivering them."""
    ts = _ts(conn)
    postgres = conn.dialect.name == "postgresql"
    for ddl in (
        f"""CREATE TABLE gateway_outbox (
            id {"BIGSERIAL" if postgres else "INTEGER"} PRIMARY KEY {"" if postgres else "AUTOINCREMENT"},
            key VARCHAR(120) NOT NULL, kind VARCHAR(20) NOT NULL, source VARCHAR(40) NOT NULL, body TEXT NOT NULL,
            queued_at {ts} NOT NULL, claimed_by VARCHAR(120), claimed_until {ts},
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)""",
        "CREATE INDEX ix_gateway_outbox_key_id ON gateway_outbox (key, id)",
    ):
        conn.exec_driver_sql(ddl)


def _v5_audit_log(conn: Connection) -> None:
    """The audit log (issue 23, docs/security.md): every allowed or refused action, who, from where. Read by
    time (newest first) and by incident, so both are indexed."""
    ts = _ts(conn)
    postgres = conn.dialect.name == "postgresql"
    for ddl in (
        f"""CREATE TABLE audit_log (
            id {"BIGSERIAL" if postgres else "INTEGER"} PRIMARY KEY {"" if postgres else "AUTOINCREMENT"},
            at {ts} NOT NULL, actor VARCHAR(200) NOT NULL, principal VARCHAR(20) NOT NULL, principal_name VARCHAR(120),
            action VARCHAR(40) NOT NULL, incident_id VARCHAR(120), source VARCHAR(20) NOT NULL,
            allowed BOOLEAN NOT NULL, reason TEXT)""",
        "CREATE INDEX ix_audit_log_at ON audit_log (at)",
        "CREATE INDEX ix_audit_log_incident_at ON audit_log (incident_id, at)",
    ):
        conn.exec_driver_sql(ddl)


def _v6_api_tokens(conn: Connection) -> None:
    """Personal, service and admin API tokens (issue 23, docs/security.md, "Tokens"): only a hash of each secret
    is kept. Looked up by the public id inside the token, so the primary key is all the index needed."""
    ts = _ts(conn)
    conn.exec_driver_sql(
        f"""CREATE TABLE api_tokens (
            id VARCHAR(16) PRIMARY KEY, name VARCHAR(120) NOT NULL, kind VARCHAR(20) NOT NULL,
            person VARCHAR(80), role VARCHAR(20), secret_hash VARCHAR(64) NOT NULL, created_at {ts} NOT NULL,
            created_by VARCHAR(200), expires_at {ts}, revoked_at {ts}, last_used_at {ts})"""
    )


def _v7_browser_sessions(conn: Connection) -> None:
    """Browser sessions (issue 23, docs/security.md, "Logging in"): the cookie holds a random id, the ledger only
    its hash. Expired rows are deleted by expiry, so it is indexed."""
    ts = _ts(conn)
    for ddl in (
        f"""CREATE TABLE browser_sessions (
            id_hash VARCHAR(64) PRIMARY KEY, person VARCHAR(80) NOT NULL, role VARCHAR(20) NOT NULL,
            via VARCHAR(20) NOT NULL, created_at {ts} NOT NULL, expires_at {ts} NOT NULL)""",
        "CREATE INDEX ix_browser_sessions_expires_at ON browser_sessions (expires_at)",
    ):
        conn.exec_driver_sql(ddl)


def _v8_training_records(conn: Connection) -> None:
    """Training completions (issue 25, docs/oncall.md, "Training"), a drill's with the role played, the person's
    evaluation and the drill's scorecard; read per person, so (person, time) is indexed."""
    ts = _ts(conn)
    postgres = conn.dialect.name == "postgresql"
    for ddl in (
        f"""CREATE TABLE training_records (
            id {"BIGSERIAL" if postgres else "INTEGER"} PRIMARY KEY {"" if postgres else "AUTOINCREMENT"},
            person VARCHAR(80) NOT NULL, kind VARCHAR(20) NOT NULL, completed_at {ts} NOT NULL,
            hours {"DOUBLE PRECISION" if postgres else "FLOAT"} NOT NULL, notes TEXT NOT NULL,
            role VARCHAR(80), evaluation TEXT, scorecard {"JSONB" if postgres else "JSON"},
            recorded_by VARCHAR(200) NOT NULL, recorded_at {ts} NOT NULL)""",
        "CREATE INDEX ix_training_records_person_completed_at ON training_records (person, completed_at)",
    ):
        conn.exec_driver_sql(ddl)


def _v9_action_item_verification(conn: Connection) -> None:
    """Action items are verified after they are done (issue 25, docs/learning-loop.md): who, when, evidence."""
    for ddl in (
        f"ALTER TABLE action_items ADD COLUMN verified_at {_ts(conn)}",
        "ALTER TABLE action_items ADD COLUMN verified_by VARCHAR(80)",
        "ALTER TABLE action_items ADD COLUMN evidence TEXT",
    ):
        conn.exec_driver_sql(ddl)


def _v10_periodic_checks(conn: Connection) -> None:
    """Periodic checks done (issue 25, docs/learning-loop.md, "Periodic checks"): who, when, notes; one row per
    check and period, which the unique constraint keeps (a second record is refused, not doubled)."""
    ts = _ts(conn)
    postgres = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(
        f"""CREATE TABLE periodic_checks (
            id {"BIGSERIAL" if postgres else "INTEGER"} PRIMARY KEY {"" if postgres else "AUTOINCREMENT"},
            item VARCHAR(40) NOT NULL, period VARCHAR(10) NOT NULL, completed_at {ts} NOT NULL,
            completed_by VARCHAR(200) NOT NULL, notes TEXT NOT NULL, recorded_by VARCHAR(200) NOT NULL,
            recorded_at {ts} NOT NULL, CONSTRAINT uq_periodic_checks_item_period UNIQUE (item, period))""")


def _v11_postmortem_drafts(conn: Connection) -> None:
    """Postmortem drafts edited in the ledger (issue 24, docs/learning-loop.md, "Drafts"): a version number for
    optimistic concurrency, who saved last and when, and the hash of the text last written to the export file
    (so a hand edit of that file is told from a stale export)."""
    for ddl in (
        "ALTER TABLE postmortems ADD COLUMN draft_version INTEGER NOT NULL DEFAULT 1",
        f"ALTER TABLE postmortems ADD COLUMN updated_at {_ts(conn)}",
        "ALTER TABLE postmortems ADD COLUMN updated_by VARCHAR(200)",
        "ALTER TABLE postmortems ADD COLUMN exported_sha256 VARCHAR(64)",
    ):
        conn.exec_driver_sql(ddl)


MIGRATIONS: list[Migration] = [
    Migration(1, "incidents, events, timeline, pages, postmortems, action items", _v1_initial),
    Migration(2, "reminder bookkeeping and recurrence links", _v2_reminders_and_recurrence),
    Migration(3, "on-call overrides", _v3_oncall_overrides),
    Migration(4, "gateway outbox", _v4_gateway_outbox),
    Migration(5, "audit log", _v5_audit_log),
    Migration(6, "API tokens", _v6_api_tokens),
    Migration(7, "browser sessions", _v7_browser_sessions),
    Migration(8, "training records", _v8_training_records),
    Migration(9, "action item verification", _v9_action_item_verification),
    Migration(10, "periodic checks", _v10_periodic_checks),
    Migration(11, "postmortem drafts", _v11_postmortem_drafts),
]
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.exec_driver_sql("SELECT COALESCE(MAX(version), 0) FROM schema_version").scalar_one()


def migrate(engine: sa.Engine, target: int = LATEST) -> list[int]:
    """Bring the database up to `target`; returns the versions applied (empty when already there)."""
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        with engine.begin() as conn:
            _lock(conn)
            if current_version(conn) >= migration.version:
                continue
            migration.apply(conn)
            conn.execute(
                sa.text("INSERT INTO schema_version (version, description, applied_at) VALUES (:v, :d, :at)"),
                {"v": migration.version, "d": migration.description,
                 "at": datetime.now(UTC) if conn.dialect.name == "postgresql"
                 else datetime.now(UTC).replace(tzinfo=None)},
            )
            applied.append(migration.version)
    return applied


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
    conn.exec_driver_sql(
        f"""CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,
            description VARCHAR(200) NOT NULL, applied_at {_ts(conn)} NOT NULL)"""
    )
