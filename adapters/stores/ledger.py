"""The incident ledger: SQLAlchemy 2 over a SQLite file in the data dir (default) or PostgreSQL
(`INCIDENTFLOW_DATABASE_URL=postgresql+psycopg://…`). Temporal is the source of truth for running
incidents; the ledger is what reports, metrics and postmortems read.

Every write is an idempotent upsert keyed by the incident id plus a stable event key (timeline position,
page key, phase event id), so a retried activity never duplicates a row, and an older snapshot arriving
after a newer one never rolls an incident back (`version` = timeline length only grows)."""

import os
import threading
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from adapters.stores import ledger_schema as t
from adapters.stores.ledger_migrations import migrate
from domain.incident.phases import Phase
from domain.incident.records import ActionItem, ActionTerm, IncidentRecord, PostmortemRecord
from domain.incident.state import IncidentState


class LedgerError(ValueError):
    """A ledger request that cannot be carried out (unknown incident, item already done, …)."""


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'ledger.sqlite3'}"


def configured_url() -> str:
    from settings import get_settings

    settings = get_settings()
    return settings.database_url or default_url(settings.data_dir)


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


def _insert(conn: Connection, table: sa.Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _upsert(conn: Connection, table: sa.Table, rows: Sequence[dict], keys: Sequence[str],
            update: bool = True) -> None:
    if not rows:
        return
    statement = _insert(conn, table)
    if update:
        columns = {c: statement.excluded[c] for c in rows[0] if c not in keys}
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=columns)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(statement, list(rows))


class Ledger:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # ── incidents ────────────────────────────────────────────────────────────────────────────────
    def record_incident(self, state: IncidentState, event_id: str, at: datetime) -> bool:
        """Upsert the incident, its timeline, pages and the phase event. False when a newer snapshot
        was already stored (the incident row is left as it is; rows keyed by event are still added)."""
        record = IncidentRecord.from_state(state)
        version = len(state.timeline)
        row = {
            **record.model_dump(exclude={"root_cause_category", "recurrence_of"}),
            "severity": record.severity.value, "phase": record.phase.value,
            "snapshot": state.model_dump(mode="json"), "version": version, "updated_at": at,
        }
        with self.engine.begin() as conn:
            stored = conn.execute(sa.select(t.incidents.c.version).where(t.incidents.c.id == state.id)).scalar()
            newer = stored is None or stored <= version
            if stored is None:
                conn.execute(t.incidents.insert().values(row))
            elif newer:
                conn.execute(t.incidents.update().where(t.incidents.c.id == state.id).values(row))
            _upsert(conn, t.timeline_entries, [
                {"incident_id": state.id, "seq": i, "at": e.at, "kind": e.kind, "actor": e.actor, "text": e.text}
                for i, e in enumerate(state.timeline)
            ], keys=("incident_id", "seq"), update=False)
            _upsert(conn, t.pages, [
                {"incident_id": state.id, "key": p.key, "tier": p.tier.value, "target": p.target, "at": p.at,
                 "reason": p.reason}
                for p in state.pages
            ], keys=("incident_id", "key"), update=False)
            _upsert(conn, t.incident_events, [
                {"incident_id": state.id, "event_id": event_id, "phase": state.phase.value,
                 "severity": state.severity.value, "at": at}
            ], keys=("incident_id", "event_id"), update=False)
        return newer

    def incident(self, incident_id: str) -> IncidentRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.incidents).where(t.incidents.c.id == incident_id)).mappings().first()
        return _incident(row) if row else None

    def snapshot(self, incident_id: str) -> IncidentState | None:
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(t.incidents.c.snapshot).where(t.incidents.c.id == incident_id)
            ).scalar()
        return IncidentState.model_validate(data) if data is not None else None

    def incidents(self, since: datetime | None = None, until: datetime | None = None,
                  include_drills: bool = False) -> list[IncidentRecord]:
        """Incidents whose impact started in [since, until); drills only when asked for."""
        query = sa.select(t.incidents).order_by(t.incidents.c.started_at, t.incidents.c.id)
        if since is not None:
            query = query.where(t.incidents.c.started_at >= since)
        if until is not None:
            query = query.where(t.incidents.c.started_at < until)
        if not include_drills:
            query = query.where(t.incidents.c.drill.is_(False))
        with self.engine.connect() as conn:
            return [_incident(row) for row in conn.execute(query).mappings()]

    def timeline(self, incident_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.timeline_entries).where(t.timeline_entries.c.incident_id == incident_id)
                                .order_by(t.timeline_entries.c.seq)).mappings()
            return [dict(r) for r in rows]

    def pages(self, incident_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.pages).where(t.pages.c.incident_id == incident_id)
                                .order_by(t.pages.c.at)).mappings()
            return [dict(r) for r in rows]

    def events(self, incident_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.incident_events).where(t.incident_events.c.incident_id == incident_id)
                                .order_by(t.incident_events.c.at, t.incident_events.c.event_id)).mappings()
            return [dict(r) for r in rows]

    def set_root_cause(self, incident_id: str, category: str | None, recurrence_of: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.incidents.update().where(t.incidents.c.id == incident_id)
                         .values(root_cause_category=category, recurrence_of=recurrence_of))

    # ── postmortems ──────────────────────────────────────────────────────────────────────────────
    def save_draft(self, draft: PostmortemRecord) -> PostmortemRecord:
        """Store a draft unless one exists (a retried draft activity never overwrites edits)."""
        self._require_incident(draft.incident_id)
        with self.engine.begin() as conn:
            _upsert(conn, t.postmortems, [draft.model_dump()], keys=("incident_id",), update=False)
        return self.postmortem(draft.incident_id)

    def postmortem(self, incident_id: str) -> PostmortemRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.postmortems).where(t.postmortems.c.incident_id == incident_id)).mappings()
            row = row.first()
        return PostmortemRecord.model_validate(dict(row)) if row else None

    def postmortems(self, incident_ids: Sequence[str] | None = None) -> list[PostmortemRecord]:
        query = sa.select(t.postmortems).order_by(t.postmortems.c.deadline)
        if incident_ids is not None:
            query = query.where(t.postmortems.c.incident_id.in_(list(incident_ids)))
        with self.engine.connect() as conn:
            return [PostmortemRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    def update_draft(self, incident_id: str, markdown: str) -> PostmortemRecord:
        record = self._require_postmortem(incident_id)
        if record.status == "published":
            raise LedgerError(f"the postmortem of {incident_id} is already published")
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(t.postmortems.c.incident_id == incident_id)
                         .values(markdown=markdown))
        return self.postmortem(incident_id)

    def note_postmortem_reminder(self, incident_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(t.postmortems.c.incident_id == incident_id)
                         .values(reminders_sent=t.postmortems.c.reminders_sent + 1))

    def mark_postmortem_missed(self, incident_id: str, at: datetime) -> PostmortemRecord:
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(
                t.postmortems.c.incident_id == incident_id, t.postmortems.c.missed_notified_at.is_(None),
                t.postmortems.c.published_at.is_(None),
            ).values(missed_notified_at=at))
        return self._require_postmortem(incident_id)

    def publish_postmortem(self, incident_id: str, by: str, at: datetime, markdown: str) -> PostmortemRecord:
        """Idempotent: publishing an already published postmortem returns it unchanged."""
        record = self._require_postmortem(incident_id)
        if record.status == "published":
            return record
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(t.postmortems.c.incident_id == incident_id)
                         .values(status="published", published_at=at, published_by=by, markdown=markdown))
        return self._require_postmortem(incident_id)

    # ── action items ─────────────────────────────────────────────────────────────────────────────
    def add_action(self, incident_id: str, title: str, owner: str, due: date, term: ActionTerm, by: str,
                   at: datetime) -> ActionItem:
        self._require_incident(incident_id)
        with self.engine.begin() as conn:
            new_id = conn.execute(t.action_items.insert().values(
                incident_id=incident_id, title=title, owner=owner, due=due, term=term, status="open",
                created_at=at, created_by=by,
            ).returning(t.action_items.c.id)).scalar_one()
        return self.action(new_id)

    def action(self, action_id: int) -> ActionItem | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.action_items).where(t.action_items.c.id == action_id)).mappings().first()
        return ActionItem.model_validate(dict(row)) if row else None

    def actions(self, open_only: bool = False, owner: str | None = None,
                incident_ids: Sequence[str] | None = None) -> list[ActionItem]:
        query = sa.select(t.action_items).order_by(t.action_items.c.due, t.action_items.c.id)
        if open_only:
            query = query.where(t.action_items.c.status == "open")
        if owner:
            query = query.where(t.action_items.c.owner == owner)
        if incident_ids is not None:
            query = query.where(t.action_items.c.incident_id.in_(list(incident_ids)))
        with self.engine.connect() as conn:
            return [ActionItem.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    def complete_action(self, action_id: int, by: str, at: datetime) -> ActionItem:
        item = self.action(action_id)
        if item is None:
            raise LedgerError(f"no action item {action_id} (see `incident action list`)")
        if item.status == "done":
            raise LedgerError(f"action item {action_id} was already done by {item.done_by}")
        with self.engine.begin() as conn:
            conn.execute(t.action_items.update().where(t.action_items.c.id == action_id)
                         .values(status="done", done_by=by, done_at=at))
        return self.action(action_id)

    def note_action_reminder(self, action_id: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.action_items.update().where(t.action_items.c.id == action_id).values(
                last_reminded_at=at, reminders_sent=t.action_items.c.reminders_sent + 1))

    # ── on-call overrides (issue 5) ──────────────────────────────────────────────────────────────
    def add_overrides(self, rows: Sequence[dict]) -> int:
        """Insert override rows (columns of `oncall_overrides`); an id already stored is left as it is, so
        importing the same `overrides.json` twice adds nothing. Returns how many were new."""
        if not rows:
            return 0
        with self.engine.begin() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(t.oncall_overrides)).scalar_one()
            _upsert(conn, t.oncall_overrides, rows, keys=("id",), update=False)
            after = conn.execute(sa.select(sa.func.count()).select_from(t.oncall_overrides)).scalar_one()
        return after - before

    def overrides(self) -> list[dict]:
        """Every stored override, oldest first (the order in which ties between overrides are settled)."""
        query = sa.select(t.oncall_overrides).order_by(t.oncall_overrides.c.created_at, t.oncall_overrides.c.id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def remove_override(self, override_id: str) -> dict | None:
        """Delete and return the override, or None when there is no such id."""
        table = t.oncall_overrides
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == override_id)).mappings().first()
            if row is not None:
                conn.execute(table.delete().where(table.c.id == override_id))
        return dict(row) if row is not None else None

    # ── helpers ──────────────────────────────────────────────────────────────────────────────────
    def _require_incident(self, incident_id: str) -> None:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(t.incidents.c.id).where(t.incidents.c.id == incident_id)).scalar()
        if found is None:
            raise LedgerError(f"no incident {incident_id!r} in the ledger ({_safe(self.url)})")

    def _require_postmortem(self, incident_id: str) -> PostmortemRecord:
        record = self.postmortem(incident_id)
        if record is None:
            raise LedgerError(f"no postmortem for incident {incident_id!r} (is it resolved, and does its "
                              "severity require one?)")
        return record


def _incident(row) -> IncidentRecord:
    data = {k: v for k, v in dict(row).items() if k not in ("snapshot", "version", "updated_at")}
    data["phase"] = Phase(data["phase"])
    return IncidentRecord.model_validate(data)


def _safe(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


_ledgers: dict[str, Ledger] = {}
_lock = threading.Lock()


def open_ledger(url: str | None = None) -> Ledger:
    """One migrated Ledger per database URL per process."""
    url = url or configured_url()
    with _lock:
        if url not in _ledgers:
            _ledgers[url] = Ledger(url)
        return _ledgers[url]
