"""The built-in status page's store: one SQLite file in the data directory, written by the worker's status
channel and read by the gateway's /status. One row per public incident, holding its latest view."""

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from domain.comms.view import IncidentView

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    resolved_at TEXT,
    view TEXT NOT NULL
)"""


class StatusStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        return connection

    def save(self, view: IncidentView) -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO incidents (id, started_at, resolved_at, view) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET resolved_at = excluded.resolved_at, view = excluded.view",
                (view.incident_id, view.started_at.isoformat(),
                 view.resolved_at.isoformat() if view.resolved_at else None, view.model_dump_json()),
            )

    def remove(self, incident_id: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM incidents WHERE id = ?", (incident_id,))

    def recent(self, now: datetime, history: timedelta = timedelta(days=7)) -> list[IncidentView]:
        """Open incidents and those resolved within `history`, newest first."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT view FROM incidents WHERE resolved_at IS NULL OR resolved_at >= ? ORDER BY started_at DESC",
                ((now - history).isoformat(),),
            ).fetchall()
        return [IncidentView.model_validate(json.loads(row[0])) for row in rows]
