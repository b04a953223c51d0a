"""What went out to a pager, kept in SQLite in the data directory, so a retried or restarted activity
never triggers the same PagerDuty alert twice (PagerDuty's dedup_key is the second line of defence).
Holds no secrets: only where the routing key came from (an environment variable's name). The direct channels
(email, SMS, voice, Apprise, webhook) keep theirs in `direct.db` the same way, `source` being the address a
page went to: the gateway finds there which incident an SMS reply or a key press acknowledges."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert

from adapters.stores.sqlite_file import IsoDateTime, sqlite_file_engine

DIRECT_FILE = "direct.db"
metadata = sa.MetaData()
deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("incident_id", sa.Text, nullable=False),
    sa.Column("dedup_key", sa.Text, primary_key=True),
    sa.Column("action", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("at", IsoDateTime, nullable=False),
)


class DeliveryLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.engine = sqlite_file_engine(self.path, metadata)

    def sent(self, dedup_key: str, action: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.literal(1)).where(
                deliveries.c.dedup_key == dedup_key, deliveries.c.action == action)).first() is not None

    def record(self, incident_id: str, dedup_key: str, action: str, source: str, at: datetime | None = None) -> None:
        """Kept once: a delivery already recorded keeps its first time."""
        with self.engine.begin() as conn:
            conn.execute(insert(deliveries).on_conflict_do_nothing().values(
                incident_id=incident_id, dedup_key=dedup_key, action=action, source=source,
                at=at or datetime.now(UTC)))

    def recorded_at(self, dedup_key: str, action: str) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(deliveries.c.at).where(
                deliveries.c.dedup_key == dedup_key, deliveries.c.action == action)).scalar()

    def triggered(self, incident_id: str) -> list[tuple[str, str]]:
        """(dedup_key, routing key source) of every alert triggered for the incident."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(deliveries.c.dedup_key, deliveries.c.source).where(
                deliveries.c.incident_id == incident_id, deliveries.c.action == "trigger"))
            return [(key, source) for key, source in rows]

    def last_incident_to(self, source: str, actions: tuple[str, ...]) -> str | None:
        """The incident most recently sent to `source` (a phone number) by one of `actions` ("sms", "voice")."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(deliveries.c.incident_id).where(
                deliveries.c.source == source, deliveries.c.action.in_(actions)
            ).order_by(deliveries.c.at.desc()).limit(1)).scalar()


def direct_log(data_dir: Path) -> DeliveryLog:
    return DeliveryLog(Path(data_dir) / DIRECT_FILE)
