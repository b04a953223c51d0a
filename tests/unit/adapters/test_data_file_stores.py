"""The data directory's small SQLite stores (`pager.db`, `status.db`, `statuspage.db`): files written by the
sqlite3 module with the layout the stores have always had are read and updated, what the stores write keeps
that layout, a removed file comes back empty, and a write waits for another process's lock."""

import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta

from adapters.stores.delivery_log import DeliveryLog
from adapters.stores.status_store import StatusStore
from adapters.stores.statuspage_state import StatuspageState
from domain.comms.view import IncidentView
from domain.incident.phases import Phase
from domain.incident.severity import Severity

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)

# The tables as the stores have always created them (with the sqlite3 module).
OLD_DELIVERIES = """CREATE TABLE IF NOT EXISTS deliveries (
    incident_id TEXT NOT NULL, dedup_key TEXT NOT NULL, action TEXT NOT NULL, source TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (dedup_key, action))"""
OLD_STATUS = """CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY, started_at TEXT NOT NULL, resolved_at TEXT, view TEXT NOT NULL)"""
OLD_STATUSPAGE = ("CREATE TABLE IF NOT EXISTS incidents (id TEXT PRIMARY KEY, remote_id TEXT, sent TEXT)",
                  "CREATE TABLE IF NOT EXISTS in_doubt (id TEXT PRIMARY KEY)")


def old_file(path, *statements, rows=()):
    with closing(sqlite3.connect(path)) as db, db:
        for statement in statements:
            db.execute(statement)
        for statement, values in rows:
            db.execute(statement, values)


def read(path, query):
    with closing(sqlite3.connect(path)) as db:
        return db.execute(query).fetchall()


def view(incident_id: str, started_at: datetime, resolved_at: datetime | None = None) -> IncidentView:
    return IncidentView(incident_id=incident_id, title=f"{incident_id} errors", service="payments",
                        severity=Severity.SEV1, severity_name="SEV1", phase=Phase.DETECTED, public=True,
                        declaration="declared", started_at=started_at, resolved_at=resolved_at,
                        public_status="investigating", component_status="major_outage")


def test_a_pager_log_written_by_the_sqlite3_module_is_read_and_kept_in_its_layout(tmp_path):
    path = tmp_path / "pager.db"
    old_file(path, OLD_DELIVERIES, rows=[
        ("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?, ?)",
         ("inc-1", "inc-1/primary", "trigger", "default", T0.isoformat())),
    ])
    log = DeliveryLog(path)
    assert log.sent("inc-1/primary", "trigger") and not log.sent("inc-1/primary", "resolve")
    assert log.recorded_at("inc-1/primary", "trigger") == T0
    assert log.triggered("inc-1") == [("inc-1/primary", "default")]

    log.record("inc-1", "inc-1/primary", "trigger", "default", T0 + timedelta(minutes=5))  # a retried trigger
    log.record("inc-1", "inc-1/primary", "resolve", "default", T0 + timedelta(minutes=9))
    assert log.recorded_at("inc-1/primary", "trigger") == T0  # the first delivery's time is kept
    assert read(path, "SELECT incident_id, dedup_key, action, source, at FROM deliveries ORDER BY at") == [
        ("inc-1", "inc-1/primary", "trigger", "default", T0.isoformat()),
        ("inc-1", "inc-1/primary", "resolve", "default", (T0 + timedelta(minutes=9)).isoformat()),
    ]


def test_a_status_page_store_written_by_the_sqlite3_module_is_read_and_kept_in_its_layout(tmp_path):
    path = tmp_path / "status.db"
    old_rows = [view("open", T0), view("recent", T0 - timedelta(days=2), T0 - timedelta(days=1)),
                view("old", T0 - timedelta(days=30), T0 - timedelta(days=29))]
    old_file(path, "PRAGMA journal_mode=WAL", OLD_STATUS, rows=[
        ("INSERT INTO incidents (id, started_at, resolved_at, view) VALUES (?, ?, ?, ?)",
         (v.incident_id, v.started_at.isoformat(), v.resolved_at.isoformat() if v.resolved_at else None,
          v.model_dump_json()))
        for v in old_rows
    ])
    store = StatusStore(path)
    assert store.recent(T0) == old_rows[:2]  # newest first; the one resolved a month ago is gone

    resolved = view("open", T0, T0 + timedelta(hours=1))
    store.save(resolved)
    store.remove("recent")
    assert store.recent(T0) == [resolved]
    assert read(path, "SELECT id, started_at, resolved_at, view FROM incidents WHERE id = 'open'") == [
        ("open", T0.isoformat(), (T0 + timedelta(hours=1)).isoformat(), resolved.model_dump_json())]
    assert read(path, "PRAGMA journal_mode") == [("wal",)]


def test_a_missing_status_page_store_is_empty_and_not_created_by_reading(tmp_path):
    path = tmp_path / "data" / "status.db"
    assert StatusStore(path).recent(T0) == []
    assert not path.parent.exists()


def test_statuspage_state_written_by_the_sqlite3_module_is_read_and_kept_in_its_layout(tmp_path):
    path = tmp_path / "statuspage.db"
    old_file(path, *OLD_STATUSPAGE, rows=[
        ("INSERT OR REPLACE INTO incidents VALUES (?, ?, ?)", ("inc-1", "sp-1", "signature-1")),
        ("INSERT OR IGNORE INTO in_doubt VALUES (?)", ("inc-2",)),
    ])
    state = StatuspageState(path)
    assert state.load("inc-1") == ("sp-1", "signature-1") and state.load("inc-2") is None
    assert state.in_doubt("inc-2") and not state.in_doubt("inc-1")

    state.doubt("inc-1")
    state.doubt("inc-1")  # a second attempt in doubt
    state.save("inc-1", "sp-1", "signature-2")
    state.save("inc-2", "sp-2", "signature-1")
    assert read(path, "SELECT id, remote_id, sent FROM incidents ORDER BY id") == [
        ("inc-1", "sp-1", "signature-2"), ("inc-2", "sp-2", "signature-1")]
    assert read(path, "SELECT id FROM in_doubt") == []  # a saved answer settles the doubt


def test_a_removed_file_comes_back_empty(tmp_path):
    path = tmp_path / "data" / "pager.db"
    log = DeliveryLog(path)
    log.record("inc-1", "inc-1/primary", "trigger", "default", T0)
    path.unlink()
    assert not log.sent("inc-1/primary", "trigger")
    log.record("inc-1", "inc-1/primary", "trigger", "default", T0)
    assert log.sent("inc-1/primary", "trigger")


def test_a_write_waits_for_another_writers_lock(tmp_path):
    path = tmp_path / "pager.db"
    log = DeliveryLog(path)
    log.sent("inc-1/primary", "trigger")  # creates the file
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    releasing = threading.Timer(0.2, other.execute, ["COMMIT"])
    releasing.start()
    try:
        log.record("inc-1", "inc-1/primary", "trigger", "default", T0)
    finally:
        releasing.join()
        other.close()
    assert log.sent("inc-1/primary", "trigger")
