"""Periodic-check completions in the ledger (`periodic_checks`, docs/learning-loop.md, "Periodic checks"): rows in
and out; `service/periodic.py` decides what they mean."""

import sqlalchemy as sa

from adapters.stores import ledger_schema as t


class PeriodicRecords:
    engine: sa.Engine

    def add_periodic(self, row: dict) -> bool:
        """Insert one completion (columns of `periodic_checks` but the id); False when that check and period
        already has one (the first record stands)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(t.periodic_checks.insert().values(**row))
        except sa.exc.IntegrityError:
            return False
        return True

    def periodic(self, item: str | None = None, periods: list[str] | None = None) -> list[dict]:
        """Completions, oldest first; only `item`'s and `periods`' when given."""
        table = t.periodic_checks
        query = sa.select(table).order_by(table.c.completed_at, table.c.id)
        if item is not None:
            query = query.where(table.c.item == item)
        if periods is not None:
            query = query.where(table.c.period.in_(periods))
        with self.engine.connect() as conn:
            return [{k: v for k, v in r.items() if k != "id"} for r in conn.execute(query).mappings()]
