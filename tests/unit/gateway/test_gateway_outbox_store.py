"""The outbox table on SQLite and PostgreSQL (`ledger_url`): rows belong to the replica that queued them,
a live lease is never taken over, a released or run-out one is, and the metrics read the whole table."""

from datetime import UTC, datetime, timedelta

from gateway.outbox import NewRow, OutboxStore


def row(key: str) -> NewRow:
    return NewRow(key=key, kind="snapshot", source="alertmanager", body="{}")


async def test_rows_are_leased_to_their_replica_and_taken_over_only_when_released_or_run_out(ledger_url):
    store = OutboxStore(ledger_url, timedelta(seconds=15))
    crashed = OutboxStore(ledger_url, timedelta(seconds=-1))  # leases that have already run out
    try:
        first = (await store.insert(row("am-1"), "replica-a")).id
        stored = await store.insert(row("am-1"), "replica-a")
        second = stored.id
        orphan = (await crashed.insert(row("am-2"), "replica-gone")).id
        assert [r for r in await store.rows("am-1", "replica-a") if r.id == second] == [stored]  # as read back
        assert [r.id for r in await store.rows("am-1", "replica-a")] == [first, second]
        assert await store.rows("am-1", "replica-b") == []

        assert await store.claim("replica-b") == {"am-2": {orphan}}  # the crashed replica's, not replica-a's live ones
        assert [r.id for r in await store.rows("am-2", "replica-b")] == [orphan]
        await store.release("replica-a")  # replica-a stops
        assert await store.claim("replica-b") == {"am-1": {first, second}, "am-2": {orphan}}
        assert [r.id for r in await store.rows("am-1", "replica-b")] == [first, second]

        stats = await store.stats()
        assert stats.depth == 3 and stats.oldest_queued_at <= datetime.now(UTC)
        await store.note_failure([first], "TemporalUnavailable: down")
        await store.delete([first, second, orphan])
        assert (await store.stats()).depth == 0 and (await store.stats()).oldest_queued_at is None
    finally:
        store.close()
        crashed.close()
