"""What went out to a pager, kept in SQLite in the data directory, so a retried or restarted activity
never triggers the same PagerDuty alert twice (PagerDuty's dedup_key is the second line of defence).
Holds no secrets: only where the routing key came from (an environment variable's name)."""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    incident_id TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (dedup_key, action)
)"""


class DeliveryLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute(SCHEMA)
        return connection

    def sent(self, dedup_key: str, action: str) -> bool:
        with closing(self._connect()) as db:
            row = db.execute("SELECT 1 FROM deliveries WHERE dedup_key = ? AND action = ?", (dedup_key, action))
            return row.fetchone() is not None

    def record(self, incident_id: str, dedup_key: str, action: str, source: str, at: datetime | None = None) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?, ?)",
                       (incident_id, dedup_key, action, source, (at or datetime.now(UTC)).isoformat()))

    def recorded_at(self, dedup_key: str, action: str) -> datetime | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT at FROM deliveries WHERE dedup_key = ? AND action = ?", (dedup_key, action))
            found = row.fetchone()
            return datetime.fromisoformat(found[0]) if found else None

    def triggered(self, incident_id: str) -> list[tuple[str, str]]:
        """(dedup_key, routing key source) of every alert triggered for the incident."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT dedup_key, source FROM deliveries WHERE incident_id = ? AND action = 'trigger'",
                              (incident_id,))
            return [(key, source) for key, source in rows.fetchall()]
