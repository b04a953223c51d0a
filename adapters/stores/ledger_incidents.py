"""The ledger's incident records: one row per incident with its latest snapshot, and its timeline, pages and
phase events (docs/learning-loop.md).

Every write is an idempotent upsert keyed by the incident id plus a stable event key (timeline position,
page key, phase event id), so a retried activity never duplicates a row, and an older snapshot arriving
after a newer one never rolls an incident back (`version` = timeline length only grows)."""

from datetime import datetime

import sqlalchemy as sa

from adapters.stores import ledger_schema as t
from adapters.stores.ledger_engine import LedgerError, insert_new, safe_url
from domain.incident.phases import Phase
from domain.incident.records import IncidentRecord
from domain.incident.state import IncidentState


class IncidentRecords:
    """The incident half of `Ledger` (`adapters.stores.ledger`)."""

    url: str
    engine: sa.Engine

    def record_incident(self, state: IncidentState, event_id: str, at: datetime) -> bool:
        """Upsert the incident, its timeline, pages and the phase event. False when a newer snapshot
        was already stored (the incident row is left as it is; rows keyed by event are still added)."""
        record = IncidentRecord.from_state(state)
        version = len(state.timeline)
        row = {
            **record.model_dump(exclude={"root_cause_category", "recurrence_of"}),
            "severity": record.severity.value, "phase": record.phase.value,
            "snapshot": state.model_dump(mode="json"), "version": version, "updated_at": at,
        }
        with self.engine.begin() as conn:
            stored = conn.execute(sa.select(t.incidents.c.version).where(t.incidents.c.id == state.id)).scalar()
            newer = stored is None or stored <= version
            if stored is None:
                conn.execute(t.incidents.insert().values(row))
            elif newer:
                conn.execute(t.incidents.update().where(t.incidents.c.id == state.id).values(row))
            insert_new(conn, t.timeline_entries, [
                {"incident_id": state.id, "seq": i, "at": e.at, "kind": e.kind, "actor": e.actor, "text": e.text}
                for i, e in enumerate(state.timeline)
            ], keys=("incident_id", "seq"))
            insert_new(conn, t.pages, [
                {"incident_id": state.id, "key": p.key, "tier": p.tier.value, "target": p.target, "at": p.at,
                 "reason": p.reason}
                for p in state.pages
            ], keys=("incident_id", "key"))
            insert_new(conn, t.incident_events, [
                {"incident_id": state.id, "event_id": event_id, "phase": state.phase.value,
                 "severity": state.severity.value, "at": at}
            ], keys=("incident_id", "event_id"))
        return newer

    def incident(self, incident_id: str) -> IncidentRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.incidents).where(t.incidents.c.id == incident_id)).mappings().first()
        return _incident(row) if row else None

    def snapshot(self, incident_id: str) -> IncidentState | None:
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(t.incidents.c.snapshot).where(t.incidents.c.id == incident_id)
            ).scalar()
        return IncidentState.model_validate(data) if data is not None else None

    def incidents(self, since: datetime | None = None, until: datetime | None = None,
                  include_drills: bool = False) -> list[IncidentRecord]:
        """Incidents whose impact started in [since, until); drills only when asked for."""
        query = sa.select(t.incidents).order_by(t.incidents.c.started_at, t.incidents.c.id)
        if since is not None:
            query = query.where(t.incidents.c.started_at >= since)
        if until is not None:
            query = query.where(t.incidents.c.started_at < until)
        if not include_drills:
            query = query.where(t.incidents.c.drill.is_(False))
        with self.engine.connect() as conn:
            return [_incident(row) for row in conn.execute(query).mappings()]

    def timeline(self, incident_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.timeline_entries).where(t.timeline_entries.c.incident_id == incident_id)
                                .order_by(t.timeline_entries.c.seq)).mappings()
            return [dict(r) for r in rows]

    def pages(self, incident_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.pages).where(t.pages.c.incident_id == incident_id)
                                .order_by(t.pages.c.at)).mappings()
            return [dict(r) for r in rows]

    def events(self, incident_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.incident_events).where(t.incident_events.c.incident_id == incident_id)
                                .order_by(t.incident_events.c.at, t.incident_events.c.event_id)).mappings()
            return [dict(r) for r in rows]

    def set_root_cause(self, incident_id: str, category: str | None, recurrence_of: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.incidents.update().where(t.incidents.c.id == incident_id)
                         .values(root_cause_category=category, recurrence_of=recurrence_of))


def require_incident(engine: sa.Engine, url: str, incident_id: str) -> None:
    """Raise unless the incident is in the ledger at `url` (postmortems and action items belong to one)."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(t.incidents.c.id).where(t.incidents.c.id == incident_id)).scalar()
    if found is None:
        raise LedgerError(f"no incident {incident_id!r} in the ledger ({safe_url(url)})")


def _incident(row) -> IncidentRecord:
    data = {k: v for k, v in dict(row).items() if k not in ("snapshot", "version", "updated_at")}
    data["phase"] = Phase(data["phase"])
    return IncidentRecord.model_validate(data)
