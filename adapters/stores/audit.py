"""The audit log's rows in the ledger (`audit_log`, docs/security.md "Roles and the audit log"): appended, never
changed, read newest first through the time and incident indexes."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from adapters.stores import ledger_schema as t
from domain.identity.audit import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    incident: str | None = None
    actor: str | None = None
    action: str | None = None
    allowed: bool | None = None
    source: str | None = None
    since: datetime | None = None
    limit: int = 200


def append(engine: sa.Engine, entry: AuditEntry) -> None:
    row = entry.model_dump(mode="python")
    row["incident_id"] = row.pop("incident")
    row["principal"], row["source"] = entry.principal.value, entry.source.value
    with engine.begin() as conn:
        conn.execute(t.audit_log.insert().values(**row))


def select(engine: sa.Engine, where: AuditFilter) -> list[AuditEntry]:
    table = t.audit_log
    query = sa.select(table).order_by(table.c.at.desc(), table.c.id.desc()).limit(where.limit)
    if where.actor is not None:  # the person, whether they acted or a token acted on their behalf
        query = query.where(sa.or_(table.c.actor == where.actor,
                                   table.c.actor.endswith(f" on behalf of {where.actor}", autoescape=True),
                                   table.c.actor.startswith(f"{where.actor} on behalf of ", autoescape=True)))
    for column, value in ((table.c.incident_id, where.incident), (table.c.action, where.action),
                          (table.c.allowed, where.allowed), (table.c.source, where.source)):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(table.c.at >= where.since)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [AuditEntry(at=r["at"], actor=r["actor"], principal=r["principal"],
                       principal_name=r["principal_name"], action=r["action"],
                       incident=r["incident_id"], source=r["source"], allowed=r["allowed"], reason=r["reason"])
            for r in rows]
