"""The browser sessions of the ledger (`browser_sessions`, docs/security.md, "Logging in"): one row per logged-in
browser, keyed by the hash of the cookie's random id. `gateway/sessions.py` creates and checks them; this module
only reads and writes rows."""

from datetime import datetime

import sqlalchemy as sa

from adapters.stores import ledger_schema as t


class SessionRecords:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, row: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.browser_sessions.insert().values(**row))

    def live(self, id_hash: str, now: datetime) -> dict | None:
        """The session with this hash, or None when there is none or it has expired."""
        table = t.browser_sessions
        query = sa.select(table).where(table.c.id_hash == id_hash, table.c.expires_at > now)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def delete(self, id_hash: str) -> bool:
        """Remove the session; False when there was none."""
        with self.engine.begin() as conn:
            deleted = conn.execute(t.browser_sessions.delete().where(t.browser_sessions.c.id_hash == id_hash))
        return deleted.rowcount > 0

    def delete_expired(self, now: datetime) -> int:
        with self.engine.begin() as conn:
            deleted = conn.execute(t.browser_sessions.delete().where(t.browser_sessions.c.expires_at <= now))
        return deleted.rowcount
