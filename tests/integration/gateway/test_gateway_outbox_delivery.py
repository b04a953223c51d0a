"""The gateway's outbox delivering what it queued (docs/gateway.md), through the real app over loopback, a real
worker and Temporal (time-skipping): rows a stopped (or crashed) gateway leaves are delivered by the next one,
rows an older version left in the SQLite ledger are moved to the outbox file first, and snapshots queued behind
a slow delivery coalesce into one Temporal call that leaves the incident with the newest alerts."""

import uuid
from pathlib import Path

import sqlalchemy as sa

from adapters.stores.ledger_engine import make_engine
from adapters.stores.ledger_migrations import migrate
from adapters.stores.ledger_schema import gateway_outbox
from adapters.stores.outbox import outbox_url
from gateway.mapping import incident_key
from testkit.gateway import address_of, alertmanager_group, exists, outbox_rows, primary_pages, served, state_of
from testkit.helpers import running_worker
from testkit.polling import wait_until
from testkit.slow_temporal import ANSWER_MS, SlowTemporal


async def _queued_by_a_gateway_that_stops(time_env, task_queue, ledger: str, groups: list[dict]) -> list[dict]:
    """Each group's notification answered `queued` by a gateway Temporal never answers before it stops."""
    never = SlowTemporal()
    with served(address_of(time_env.client), task_queue, interceptors=[never], database_url=ledger,
                gateway_answer_within_ms=ANSWER_MS) as first:
        async with first.http() as http:
            for group in groups:
                answer = await http.post("/webhooks/alertmanager", json=group)
                assert answer.json()["queued"] is True, answer.text
    return outbox_rows(outbox_url(ledger))


async def _delivered_by_the_next_gateway(time_env, task_queue, recorder, ledger: str, incidents: list[str]) -> None:
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, database_url=ledger):  # no webhook: it delivers
            for incident in incidents:
                await wait_until(lambda i=incident: len(primary_pages(recorder, i)) == 1, f"{incident}'s page")
            await wait_until(lambda: outbox_rows(outbox_url(ledger)) == [], "an empty outbox")
    for incident in incidents:
        assert len(primary_pages(recorder, incident)) == 1


async def test_rows_left_by_a_stopped_gateway_are_delivered_by_the_next_one(time_env, task_queue, recorder, tmp_path):
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    groups = [alertmanager_group(f"group-{uuid.uuid4().hex}") for _ in range(3)]
    incidents = [incident_key("alertmanager", g["groupKey"]) for g in groups]
    left = await _queued_by_a_gateway_that_stops(time_env, task_queue, ledger, groups)
    assert [r["key"] for r in left] == incidents
    assert all(r["claimed_by"] is None for r in left)  # a stopping gateway hands its rows over
    # …and one of them as a crashed gateway leaves it: still claimed, its lease run out
    engine = sa.create_engine(outbox_url(ledger))
    with engine.begin() as conn:
        conn.execute(gateway_outbox.update().where(gateway_outbox.c.id == left[0]["id"])
                     .values(claimed_by="crashed-replica", claimed_until=left[0]["queued_at"]))
    engine.dispose()
    await _delivered_by_the_next_gateway(time_env, task_queue, recorder, ledger, incidents)


async def test_rows_an_older_gateway_left_in_the_sqlite_ledger_are_moved_to_the_outbox_file_and_delivered(
        time_env, task_queue, recorder, tmp_path):
    """Before the outbox had a SQLite file of its own its rows lived in the ledger's (`gateway_outbox`,
    migration 4): what a gateway of that version accepted and left must not be lost by the upgrade."""
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    groups = [alertmanager_group(f"group-{uuid.uuid4().hex}") for _ in range(2)]
    incidents = [incident_key("alertmanager", g["groupKey"]) for g in groups]
    left = await _queued_by_a_gateway_that_stops(time_env, task_queue, ledger, groups)
    old = make_engine(ledger)
    migrate(old)  # the ledger as the worker keeps it, with the outbox table of migration 4
    with old.begin() as conn:
        conn.execute(gateway_outbox.insert(), [{**r, "id": None} for r in left])
    old.dispose()
    Path(sa.make_url(outbox_url(ledger)).database).unlink()  # that version had no outbox file
    for suffix in ("-wal", "-shm"):
        Path(sa.make_url(outbox_url(ledger)).database + suffix).unlink(missing_ok=True)
    assert [r["key"] for r in outbox_rows(ledger)] == incidents

    await _delivered_by_the_next_gateway(time_env, task_queue, recorder, ledger, incidents)
    assert outbox_rows(ledger) == []  # moved, not left to be delivered again


async def test_snapshots_queued_behind_a_slow_delivery_coalesce_into_one_call_with_the_newest_alerts(
        time_env, task_queue, recorder):
    slow = SlowTemporal()
    key = f"group-{uuid.uuid4().hex}"
    incident = incident_key("alertmanager", key)
    newest = alertmanager_group(key, fingerprints=("f1", "f2", "f3", "f4"))
    newest["alerts"][0]["status"] = "resolved"
    snapshots = [alertmanager_group(key, fingerprints=("f1",)), alertmanager_group(key, fingerprints=("f1", "f2")),
                 alertmanager_group(key, fingerprints=("f1", "f2", "f3")), newest]
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, interceptors=[slow],
                    gateway_answer_within_ms=ANSWER_MS) as gateway:
            async with gateway.http() as http:
                first = await http.post("/webhooks/alertmanager", json=snapshots[0])
                assert first.json()["queued"] is True
                await wait_until(lambda: len(slow.calls) == 1, "the first delivery, held")
                for snapshot in snapshots[1:]:  # each queued while the key's one delivery is in flight
                    answer = await http.post("/webhooks/alertmanager", json=snapshot)
                    assert (answer.json()["status"], answer.json()["queued"]) == ("accepted", True), answer.text
                slow.open()

                async def newest_alerts():
                    if not await exists(time_env.client, incident):
                        return None
                    state = await state_of(time_env.client, incident)
                    return state if len(state.alerts) == 4 else None

                state = await wait_until(newest_alerts, "the newest snapshot's alerts")
                await wait_until(lambda: outbox_rows(gateway.outbox_url) == [], "an empty outbox")
            assert {f: a.status for f, a in state.alerts.items()} == {
                "f1": "resolved", "f2": "firing", "f3": "firing", "f4": "firing"}
            assert len(slow.calls) == 2 < len(snapshots)  # the held one, then one for the three queued behind it
            assert gateway.metric("incidentflow_gateway_outbox_rows_delivered_total") == len(snapshots)
            assert gateway.metric("incidentflow_gateway_outbox_deliveries_total", outcome="delivered") == 2
        await wait_until(lambda: len(primary_pages(recorder, incident)) == 1, "the primary page")
