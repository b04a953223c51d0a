"""The built-in status page's store: one SQLite file in the data directory, written by the worker's status
channel and read by the gateway's /status. One row per public incident, holding its latest view."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert

from adapters.stores.sqlite_file import IsoDateTime, sqlite_file_engine
from domain.comms.view import IncidentView

metadata = sa.MetaData()
incidents = sa.Table(
    "incidents", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("started_at", IsoDateTime, nullable=False),
    sa.Column("resolved_at", IsoDateTime),
    sa.Column("view", sa.Text, nullable=False),
)


class StatusStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        # WAL: the gateway's /status reads while the worker writes (docs/communications.md)
        self.engine = sqlite_file_engine(self.path, metadata, wal=True)

    def save(self, view: IncidentView) -> None:
        statement = insert(incidents).values(id=view.incident_id, started_at=view.started_at,
                                             resolved_at=view.resolved_at, view=view.model_dump_json())
        statement = statement.on_conflict_do_update(index_elements=[incidents.c.id], set_={
            "resolved_at": statement.excluded.resolved_at, "view": statement.excluded.view})
        with self.engine.begin() as conn:
            conn.execute(statement)

    def remove(self, incident_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(incidents.delete().where(incidents.c.id == incident_id))

    def recent(self, now: datetime, history: timedelta = timedelta(days=7)) -> list[IncidentView]:
        """Open incidents and those resolved within `history`, newest first."""
        if not self.path.exists():
            return []
        query = (sa.select(incidents.c.view)
                 .where(sa.or_(incidents.c.resolved_at.is_(None), incidents.c.resolved_at >= now - history))
                 .order_by(incidents.c.started_at.desc()))
        with self.engine.connect() as conn:
            views = conn.execute(query).scalars().all()
        return [IncidentView.model_validate(json.loads(view)) for view in views]
