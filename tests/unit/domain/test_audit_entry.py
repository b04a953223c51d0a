"""The audit log's entry: what it holds, and that it cannot change once written."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.identity.audit import AuditEntry
from domain.identity.principal import PrincipalKind, Source

AT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def test_an_entry_names_who_what_where_when_and_the_outcome():
    entry = AuditEntry(at=AT, actor="hyunwoo", principal="person", principal_name="hyunwoo", action="acknowledge",
                       incident="inc-1", source="api", allowed=False,
                       reason="hyunwoo is a viewer: acknowledge needs responder")
    assert (entry.principal, entry.source) == (PrincipalKind.PERSON, Source.API)
    assert entry.model_dump(mode="json") == {
        "at": "2026-05-04T10:00:00Z", "actor": "hyunwoo", "principal": "person", "principal_name": "hyunwoo",
        "action": "acknowledge",
        "incident": "inc-1", "source": "api", "allowed": False,
        "reason": "hyunwoo is a viewer: acknowledge needs responder"}
    with pytest.raises(ValidationError):
        entry.allowed = True  # frozen: an audit entry is never rewritten


def test_an_unknown_door_or_principal_kind_is_refused():
    with pytest.raises(ValidationError, match="source"):
        AuditEntry(at=AT, actor="x", principal="person", action="read", incident=None, source="telnet", allowed=True)
    with pytest.raises(ValidationError, match="principal"):
        AuditEntry(at=AT, actor="x", principal="robot", action="read", incident=None, source="api", allowed=True)
