"""Training completions in the ledger (`training_records`, docs/oncall.md, "Training"): rows in and out;
`service/training.py` decides what they mean."""

import sqlalchemy as sa

from adapters.stores import ledger_schema as t


class TrainingRecords:
    engine: sa.Engine

    def add_training(self, row: dict) -> int:
        """Insert one completion (columns of `training_records` but the id); returns its id."""
        with self.engine.begin() as conn:
            return conn.execute(t.training_records.insert().values(**row)).inserted_primary_key[0]

    def training(self, person: str | None = None) -> list[dict]:
        """Completions, oldest first; only `person`'s when given."""
        table = t.training_records
        query = sa.select(table).order_by(table.c.completed_at, table.c.id)
        if person is not None:
            query = query.where(table.c.person == person)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]
