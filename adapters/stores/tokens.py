"""The API tokens of the ledger (`api_tokens`, docs/security.md, "Tokens"): one row per token, the secret kept only
as its SHA-256 hash. `service/tokens.py` issues, checks and revokes them; this module only reads and writes rows."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from adapters.stores import ledger_schema as t

# `last_used_at` is a hint for people, not an audit record: written at most this often per token, so a busy
# script does not turn every request into a ledger write
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRecords:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, row: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.api_tokens.insert().values(**row))

    def get(self, token_id: str) -> dict | None:
        query = sa.select(t.api_tokens).where(t.api_tokens.c.id == token_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def all(self) -> list[dict]:
        """Every token, newest first (revoked ones too: the list is their record)."""
        query = sa.select(t.api_tokens).order_by(t.api_tokens.c.created_at.desc(), t.api_tokens.c.id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def revoke(self, token_id: str, at: datetime) -> dict | None:
        """Mark the token revoked (a second revoke keeps the first time); None when there is no such id."""
        table = t.api_tokens
        with self.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == token_id, table.c.revoked_at.is_(None))
                         .values(revoked_at=at))
            row = conn.execute(sa.select(table).where(table.c.id == token_id)).mappings().first()
        return dict(row) if row is not None else None

    def used(self, token_id: str, at: datetime) -> None:
        table = t.api_tokens
        stale = sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < at - LAST_USED_RESOLUTION)
        with self.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == token_id, stale).values(last_used_at=at))
