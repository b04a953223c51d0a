"""The Statuspage adapter's memory (`statuspage.db` in the data directory; docs/communications.md): which
Statuspage incident shows each of ours and what it last showed, and which requests are in doubt (sent, their
answer never came)."""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert

from adapters.stores.sqlite_file import sqlite_file_engine

metadata = sa.MetaData()
shown = sa.Table(
    "incidents", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("remote_id", sa.Text),
    sa.Column("sent", sa.Text),
)
in_doubt = sa.Table("in_doubt", metadata, sa.Column("id", sa.Text, primary_key=True))


class StatuspageState:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.engine = sqlite_file_engine(self.path, metadata)

    def load(self, incident_id: str) -> tuple[str, str] | None:
        """(Statuspage incident id, the signature last sent) for our incident, if it was ever published."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(shown.c.remote_id, shown.c.sent).where(shown.c.id == incident_id)).first()
        return (row[0], row[1]) if row else None

    def save(self, incident_id: str, remote_id: str, sent: str) -> None:
        """Record what the Statuspage incident now shows; the request is no longer in doubt."""
        statement = insert(shown).values(id=incident_id, remote_id=remote_id, sent=sent)
        statement = statement.on_conflict_do_update(index_elements=[shown.c.id], set_={
            "remote_id": statement.excluded.remote_id, "sent": statement.excluded.sent})
        with self.engine.begin() as conn:
            conn.execute(statement)
            conn.execute(in_doubt.delete().where(in_doubt.c.id == incident_id))

    def in_doubt(self, incident_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(in_doubt.c.id).where(in_doubt.c.id == incident_id)).first() is not None

    def doubt(self, incident_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(in_doubt).on_conflict_do_nothing().values(id=incident_id))
