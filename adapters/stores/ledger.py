"""The incident ledger (docs/learning-loop.md): SQLAlchemy 2 over a SQLite file in the data dir or PostgreSQL
(`adapters.stores.ledger_engine`). Temporal is the source of truth for running incidents; the ledger is what
reports, metrics and postmortems read. Its parts: incident records (`ledger_incidents`), postmortems and
action items (`ledger_followups`), postmortem drafts with their versions (`ledger_drafts`), on-call overrides
(below), training completions (`ledger_training`), periodic checks done (`ledger_periodic`); its tables:
`ledger_schema`."""

import threading
from collections.abc import Sequence

import sqlalchemy as sa

from adapters.stores import ledger_schema as t
from adapters.stores.ledger_drafts import PostmortemDrafts
from adapters.stores.ledger_engine import configured_url, insert_new, make_engine
from adapters.stores.ledger_followups import ActionItemRecords, PostmortemRecords
from adapters.stores.ledger_incidents import IncidentRecords
from adapters.stores.ledger_migrations import migrate
from adapters.stores.ledger_periodic import PeriodicRecords
from adapters.stores.ledger_training import TrainingRecords


class OverrideRecords:
    """On-call overrides (docs/oncall.md); `adapters.stores.overrides` is their store."""

    engine: sa.Engine

    def add_overrides(self, rows: Sequence[dict]) -> int:
        """Insert override rows (columns of `oncall_overrides`); an id already stored is left as it is, so
        importing the same `overrides.json` twice adds nothing. Returns how many were new."""
        if not rows:
            return 0
        with self.engine.begin() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(t.oncall_overrides)).scalar_one()
            insert_new(conn, t.oncall_overrides, rows, keys=("id",))
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


class Ledger(IncidentRecords, PostmortemRecords, PostmortemDrafts, ActionItemRecords, OverrideRecords,
             TrainingRecords, PeriodicRecords):
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


_ledgers: dict[str, Ledger] = {}
_lock = threading.Lock()


def open_ledger(url: str | None = None) -> Ledger:
    """One migrated Ledger per database URL per process."""
    url = url or configured_url()
    with _lock:
        if url not in _ledgers:
            _ledgers[url] = Ledger(url)
        return _ledgers[url]
