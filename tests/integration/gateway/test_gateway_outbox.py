"""The gateway's outbox (docs/gateway.md), through the real app over loopback, a real worker and Temporal
(time-skipping): a webhook Temporal has not taken within the answer budget is answered `queued` and still
opens its incident with its page; rows a stopped gateway leaves are delivered by the next one; snapshots
queued behind a slow delivery coalesce into one Temporal call that leaves the incident with the newest alerts;
an outbox that cannot be written is a 503.

"Temporal slow" is a client interceptor on the gateway's own Temporal client holding every start and signal
until the test opens it: the honest way to make Temporal slower than the answer budget on demand (the
server accepts a signal-with-start without any worker, so a stopped worker would not slow anything)."""

import asyncio
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from temporalio.client import Interceptor, OutboundInterceptor
from temporalio.service import RPCError, RPCStatusCode

from adapters.stores.ledger import make_engine
from adapters.stores.ledger_migrations import migrate
from adapters.stores.ledger_schema import gateway_outbox
from gateway.mapping import incident_key
from gateway.outbox import outbox_url
from testkit.gateway import address_of, alertmanager_group, outbox_rows, served
from testkit.helpers import running_worker
from tests.integration.gateway.test_gateway_alerts import exists, primary_pages, state_of, wait_for
from tests.integration.gateway.test_gateway_rejections import assert_no_workflow

ANSWER_MS = 25  # the default budget: the answer does not wait for a held call


class SlowTemporal(Interceptor):
    """Holds the gateway's workflow starts and signals until `open()`; counts them."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def open(self) -> None:
        self._open.set()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        gate = self

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input):
                await gate._held(f"start {input.id}")
                return await super().start_workflow(input)

            async def signal_workflow(self, input):
                await gate._held(f"signal {input.id}")
                return await super().signal_workflow(input)

        return Outbound(next)

    async def _held(self, call: str) -> None:
        with self._lock:
            self.calls.append(call)
        while not self._open.is_set():  # a threading.Event: the gateway runs its own event loop in its own thread
            await asyncio.sleep(0.01)


class DroppedCall(Interceptor):
    """The connection to Temporal drops during the gateway's first workflow start; later ones go through."""

    def __init__(self) -> None:
        self.dropped = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        interceptor = self

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input):
                if not interceptor.dropped:
                    interceptor.dropped += 1
                    raise RPCError("connection reset", RPCStatusCode.UNAVAILABLE, b"")
                return await super().start_workflow(input)

        return Outbound(next)


async def _async(value):
    return value


async def test_slow_temporal_answers_queued_and_the_incident_then_opens_with_its_page(time_env, task_queue, recorder):
    slow = SlowTemporal()
    group = alertmanager_group(f"group-{uuid.uuid4().hex}", fingerprints=("f1", "f2"))
    expected = incident_key("alertmanager", group["groupKey"])
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, interceptors=[slow],
                    gateway_answer_within_ms=ANSWER_MS) as gateway:
            async with gateway.http() as http:
                # an HA pair: the twin is a duplicate as soon as the first is durably queued
                pair = await asyncio.gather(*(http.post("/webhooks/alertmanager", json=group) for _ in range(2)))
                assert [p.status_code for p in pair] == [200, 200], [p.text for p in pair]
                first, twin = sorted((p.json() for p in pair), key=lambda a: a["status"])
                assert first == {"status": "accepted", "incident_id": expected, "started": None, "queued": True,
                                 "message": f"queued: it will be delivered to incident {expected} "
                                            "(Temporal has not taken it yet)"}
                assert (twin["status"], twin["incident_id"], twin["queued"]) == ("duplicate", expected, True)
                assert primary_pages(recorder, expected) == []
                metrics = (await http.get("/metrics")).text
                assert "incidentflow_gateway_outbox_depth 1.0" in metrics

                slow.open()
                await wait_for(lambda: _async(len(primary_pages(recorder, expected)) == 1), "the primary page")
                state = await state_of(time_env.client, expected)
                assert set(state.alerts) == {"f1", "f2"} and state.source == "alertmanager"
                await wait_for(lambda: _async(outbox_rows(gateway.outbox_url) == []), "an empty outbox")
                metrics = (await http.get("/metrics")).text
                assert "incidentflow_gateway_outbox_depth 0.0" in metrics
                assert "incidentflow_gateway_outbox_oldest_age_seconds 0.0" in metrics
            assert gateway.metric("incidentflow_gateway_queued_answers_total", source="alertmanager") == 2
            assert gateway.metric("incidentflow_gateway_incidents_started_total", source="alertmanager") == 1
    assert len(primary_pages(recorder, expected)) == 1


@contextmanager
def write_locked(url: str, seconds: float | None = None):
    """Another connection holding the SQLite database's write lock (as a busy worker writing the ledger does),
    for `seconds` or until the block ends."""
    conn = sqlite3.connect(sa.make_url(url).database, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds, conn.rollback) if seconds is not None else None
    if release is not None:
        release.start()
    try:
        yield
    finally:
        if release is not None:
            release.join()
        else:
            conn.rollback()
        conn.close()


async def test_a_worker_writing_the_sqlite_ledger_does_not_hold_up_webhooks(time_env, task_queue, recorder,
                                                                            tmp_path):
    """On SQLite the outbox has a file of its own: one writer per file, and the ledger's is the worker's."""
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    migrate(make_engine(ledger))
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    expected = incident_key("alertmanager", group["groupKey"])
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, database_url=ledger) as gateway, write_locked(ledger):
            async with gateway.http() as http:
                answer = await asyncio.wait_for(http.post("/webhooks/alertmanager", json=group), 10)
            assert answer.status_code == 200, answer.text
            assert (answer.json()["status"], answer.json()["incident_id"]) == ("accepted", expected)
            await wait_for(lambda: _async(len(primary_pages(recorder, expected)) == 1), "the primary page")


async def test_the_answer_budget_counts_from_arrival_when_the_outbox_is_slow_to_write(time_env, task_queue, recorder):
    slow = SlowTemporal()
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    expected = incident_key("alertmanager", group["groupKey"])
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, interceptors=[slow],
                    gateway_answer_within_ms=1000) as gateway:
            async with gateway.http() as http:
                with write_locked(gateway.outbox_url, seconds=1.0):
                    began = time.monotonic()
                    answer = await http.post("/webhooks/alertmanager", json=group)
                    took = time.monotonic() - began
            assert answer.status_code == 200 and answer.json()["queued"] is True, answer.text
            # the insert waited out the lock (~1 s), which used up the budget: not another second on top
            assert 0.9 < took < 1.6, took
            slow.open()
            await wait_for(lambda: _async(len(primary_pages(recorder, expected)) == 1), "the primary page")


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
                await wait_for(lambda i=incident: _async(len(primary_pages(recorder, i)) == 1), f"{incident}'s page")
            await wait_for(lambda: _async(outbox_rows(outbox_url(ledger)) == []), "an empty outbox")
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
                await wait_for(lambda: _async(len(slow.calls) == 1), "the first delivery, held")
                for snapshot in snapshots[1:]:  # each queued while the key's one delivery is in flight
                    answer = await http.post("/webhooks/alertmanager", json=snapshot)
                    assert (answer.json()["status"], answer.json()["queued"]) == ("accepted", True), answer.text
                slow.open()

                async def newest_alerts():
                    if not await exists(time_env.client, incident):
                        return None
                    state = await state_of(time_env.client, incident)
                    return state if len(state.alerts) == 4 else None

                state = await wait_for(newest_alerts, "the newest snapshot's alerts")
                await wait_for(lambda: _async(outbox_rows(gateway.outbox_url) == []), "an empty outbox")
            assert {f: a.status for f, a in state.alerts.items()} == {
                "f1": "resolved", "f2": "firing", "f3": "firing", "f4": "firing"}
            assert len(slow.calls) == 2 < len(snapshots)  # the held one, then one for the three queued behind it
            assert gateway.metric("incidentflow_gateway_outbox_rows_delivered_total") == len(snapshots)
            assert gateway.metric("incidentflow_gateway_outbox_deliveries_total", outcome="delivered") == 2
        await wait_for(lambda: _async(len(primary_pages(recorder, incident)) == 1), "the primary page")


async def test_a_delivery_failing_while_its_request_waits_is_withdrawn_and_the_retry_goes_through(
        time_env, task_queue, recorder):
    """With the whole answer awaited (the default of these tests), the outbox changes nothing for a sender whose
    notification fails: 503, nothing left queued, and its retry opens the incident."""
    drop = DroppedCall()
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    incident = incident_key("alertmanager", group["groupKey"])
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, interceptors=[drop]) as gateway:
            async with gateway.http() as http:
                failed = await http.post("/webhooks/alertmanager", json=group)
                assert failed.status_code == 503 and failed.headers["Retry-After"] == "10", failed.text
                assert outbox_rows(gateway.outbox_url) == []
                retried = await http.post("/webhooks/alertmanager", json=group)  # not a duplicate: forgotten
            assert retried.status_code == 200, retried.text
            assert retried.json() == {"status": "accepted", "incident_id": incident, "started": True,
                                      "message": f"incident {incident} opened"}
            assert drop.dropped == 1
        await wait_for(lambda: _async(len(primary_pages(recorder, incident)) == 1), "the primary page")


async def test_an_outbox_that_cannot_be_written_is_a_503_and_nothing_reaches_temporal(time_env, task_queue, tmp_path):
    (tmp_path / "not-a-directory").write_text("")
    url = f"sqlite:///{tmp_path / 'not-a-directory' / 'ledger.sqlite3'}"
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    with served(address_of(time_env.client), task_queue, database_url=url) as gateway:
        async with gateway.http() as http:
            answer = await http.post("/webhooks/alertmanager", json=group)
            metrics = await http.get("/metrics")  # still answers, without outbox figures
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    assert answer.json() == {"detail": "the gateway's outbox database is unavailable; retry later"}
    assert gateway.metric("incidentflow_gateway_rejects_total", reason="outbox_unavailable") == 1
    assert metrics.status_code == 200
    await assert_no_workflow(time_env.client, "alertmanager", group["groupKey"])
