"""`service.audit`: entries come back with the filters of `incident audit`, and a failed write never stops the
action (it is logged and counted)."""

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from domain.identity.audit import AuditEntry
from domain.identity.principal import Source
from observability.metrics import REGISTRY
from service import audit

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _entry(minutes: int, **fields) -> AuditEntry:
    defaults = {"actor": "jiyoung", "principal": "person", "action": "acknowledge", "incident": "inc-1",
                "source": "api", "allowed": True}
    return AuditEntry(at=T0 + timedelta(minutes=minutes), **{**defaults, **fields})


def test_recorded_entries_are_read_back_with_filters(ledger):
    audit.record(ledger, _entry(0))
    audit.record(ledger, _entry(1, source="cli", actor="minsu", principal="admin", action="declare"))
    audit.record(ledger, _entry(2, allowed=False, reason="no", actor="hyunwoo"))
    assert [e.actor for e in audit.entries(ledger)] == ["hyunwoo", "minsu", "jiyoung"]
    assert [e.actor for e in audit.entries(ledger, source=Source.CLI)] == ["minsu"]
    assert [e.actor for e in audit.entries(ledger, allowed=False)] == ["hyunwoo"]
    assert [e.actor for e in audit.entries(ledger, since=T0 + timedelta(minutes=1), limit=1)] == ["hyunwoo"]


def test_a_failed_write_is_logged_and_counted_never_raised(caplog):
    broken = SimpleNamespace(engine=sa.create_engine("sqlite://"))  # a database without the audit table
    before = REGISTRY.get_sample_value("incidentflow_audit_write_failures_total") or 0.0
    with caplog.at_level(logging.ERROR, logger="incidentflow.audit"):
        audit.record(broken, _entry(0, actor="hyunwoo"))
    assert REGISTRY.get_sample_value("incidentflow_audit_write_failures_total") == before + 1
    assert "AUDIT LOG WRITE FAILED" in caplog.text and '"actor":"hyunwoo"' in caplog.text


def test_a_ledger_that_cannot_be_opened_is_one_more_failure_not_the_actions():
    def unreachable():
        raise OSError("connection refused")

    before = REGISTRY.get_sample_value("incidentflow_audit_write_failures_total") or 0.0
    audit.record(unreachable, _entry(0))
    assert REGISTRY.get_sample_value("incidentflow_audit_write_failures_total") == before + 1
