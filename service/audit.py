"""The audit log (docs/security.md, "Roles and the audit log"): `record` one allowed or refused action, read
`entries` back newest first. Auditing never stands in the way of the incident: a failed write is logged loudly
and counted (`incidentflow_audit_write_failures`), and the page, escalation or decision goes on."""

import logging
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter

from adapters.stores import audit as store
from adapters.stores.ledger import Ledger, open_ledger
from domain.identity.audit import AuditEntry
from domain.identity.principal import Source
from observability.metrics import PREFIX, REGISTRY

log = logging.getLogger("incidentflow.audit")

AUDIT_WRITE_FAILURES = Counter(
    f"{PREFIX}audit_write_failures", "Audit log entries that could not be written (the action itself went on)",
    registry=REGISTRY,
)


# The ledger to write to, or how to open it (None: the one the settings name): opened inside `record`, so that
# failing to open it is one more audit failure, not the action's
LedgerSource = Ledger | Callable[[], Ledger] | None


def record(ledger: LedgerSource, entry: AuditEntry) -> None:
    try:
        opened = ledger() if callable(ledger) else ledger or open_ledger()
        store.append(opened.engine, entry)
    except Exception:  # any failure at all: the audit log must not stop an incident
        AUDIT_WRITE_FAILURES.inc()
        log.exception("AUDIT LOG WRITE FAILED, the action went on unaudited: %s", entry.model_dump_json())


def entries(ledger: Ledger, *, incident: str | None = None, actor: str | None = None, action: str | None = None,
            allowed: bool | None = None, source: Source | None = None, since: datetime | None = None,
            limit: int = 200) -> list[AuditEntry]:
    """Newest first; `actor` matches the person whether they acted or a token acted on their behalf."""
    where = store.AuditFilter(incident=incident, actor=actor, action=action, allowed=allowed,
                              source=source.value if source is not None else None, since=since, limit=limit)
    return store.select(ledger.engine, where)
