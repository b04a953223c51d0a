"""The `api_tokens` rows on SQLite and PostgreSQL: a second revoke keeps the first time, and the last use is
written at most once a minute."""

from datetime import UTC, datetime, timedelta

from adapters.stores.tokens import TokenRecords

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def row(token_id: str, at: datetime) -> dict:
    return {"id": token_id, "name": f"token {token_id}", "kind": "service", "person": None, "role": None,
            "secret_hash": "0" * 64, "created_at": at, "created_by": None, "expires_at": None, "revoked_at": None,
            "last_used_at": None}


def test_rows_newest_first_revoked_once_and_used_at_most_once_a_minute(ledger):
    records = TokenRecords(ledger.engine)
    records.add(row("aaaaaaaaaaaa", T0))
    records.add(row("bbbbbbbbbbbb", T0 + timedelta(hours=1)))
    assert [r["id"] for r in records.all()] == ["bbbbbbbbbbbb", "aaaaaaaaaaaa"]

    assert records.revoke("aaaaaaaaaaaa", T0 + timedelta(hours=2))["revoked_at"] == T0 + timedelta(hours=2)
    assert records.revoke("aaaaaaaaaaaa", T0 + timedelta(hours=3))["revoked_at"] == T0 + timedelta(hours=2)
    assert records.revoke("cccccccccccc", T0) is None

    records.used("bbbbbbbbbbbb", T0 + timedelta(hours=1, seconds=10))
    records.used("bbbbbbbbbbbb", T0 + timedelta(hours=1, seconds=50))
    assert records.get("bbbbbbbbbbbb")["last_used_at"] == T0 + timedelta(hours=1, seconds=10)
    records.used("bbbbbbbbbbbb", T0 + timedelta(hours=1, minutes=5))
    assert records.get("bbbbbbbbbbbb")["last_used_at"] == T0 + timedelta(hours=1, minutes=5)
