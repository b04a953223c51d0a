"""The audit log in the ledger (SQLite and PostgreSQL): appended rows come back newest first, filtered by
incident, actor (also "X on behalf of Y"), action, outcome, door and time."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from adapters.stores import audit as store
from adapters.stores.audit import AuditFilter
from domain.identity.audit import AuditEntry

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _entry(minutes: int, **fields) -> AuditEntry:
    defaults = {"actor": "jiyoung", "principal": "person", "action": "acknowledge", "incident": "inc-1",
                "source": "api", "allowed": True, "reason": None}
    return AuditEntry(at=T0 + timedelta(minutes=minutes), **{**defaults, **fields})


def _actions(found: list[AuditEntry]) -> list[str]:
    return [e.action for e in found]


def test_entries_come_back_newest_first_exactly_as_written(ledger):
    refused = _entry(2, actor="hyunwoo", action="set_severity", allowed=False,
                     reason="hyunwoo is a responder: set severity needs commander")
    for entry in (_entry(0, action="declare"), refused, _entry(1, action="add_note")):
        store.append(ledger.engine, entry)
    found = store.select(ledger.engine, AuditFilter())
    assert _actions(found) == ["set_severity", "add_note", "declare"]
    assert found[0] == refused  # every field, the time in UTC


def test_each_filter_narrows_the_log(ledger):
    for entry in (
        _entry(0, action="declare", actor="api-token on behalf of minsu", principal="admin"),
        _entry(1, incident="inc-2", actor="minsu"),
        _entry(2, action="read", incident=None, allowed=False, actor="alertmanager", principal="service",
               reason="alertmanager is a service token: it may open and feed incidents, not read"),
        _entry(3, action="resolve", source="cli", actor="minsu on behalf of seoyeon", principal="admin"),
        _entry(4, action="add_note", actor="jiyoung"),
    ):
        store.append(ledger.engine, entry)

    def select(**where) -> list[str]:
        return _actions(store.select(ledger.engine, AuditFilter(**where)))

    assert select(incident="inc-2") == ["acknowledge"]
    # a person is found whether they acted, a token acted on their behalf, or they acted for someone
    assert select(actor="minsu") == ["resolve", "acknowledge", "declare"]
    assert select(actor="seoyeon") == ["resolve"]
    assert select(action="add_note") == ["add_note"]
    assert select(allowed=False) == ["read"]
    assert select(source="cli") == ["resolve"]
    assert select(since=T0 + timedelta(minutes=3)) == ["add_note", "resolve"]
    assert select(limit=2) == ["add_note", "resolve"]
    assert select(actor="minsu", incident="inc-1", source="api") == ["declare"]


def test_an_actor_filter_is_a_name_not_a_pattern(ledger):
    store.append(ledger.engine, _entry(0, actor="min%"))
    store.append(ledger.engine, _entry(1, actor="api-token on behalf of minsu"))
    assert [e.actor for e in store.select(ledger.engine, AuditFilter(actor="min%"))] == ["min%"]
    assert store.select(ledger.engine, AuditFilter(actor="m_nsu")) == []


def test_the_log_is_indexed_by_time_and_by_incident(ledger):
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(ledger.engine).get_indexes("audit_log")}
    assert indexes["ix_audit_log_at"] == ["at"]
    assert indexes["ix_audit_log_incident_at"] == ["incident_id", "at"]
