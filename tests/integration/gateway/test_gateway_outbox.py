"""The gateway's outbox answering webhooks (docs/gateway.md), through the real app over loopback, a real worker
and Temporal (time-skipping): a webhook Temporal has not taken within the answer budget is answered `queued`
and still opens its incident with its page; the budget counts from arrival; a worker writing the SQLite ledger
holds up no webhook; a delivery failing while its request waits is a 503 the retry recovers from; an outbox that
cannot be written is a 503. "Temporal slow" is testkit/slow_temporal.py."""

import asyncio
import sqlite3
import threading
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from temporalio.client import Interceptor, OutboundInterceptor
from temporalio.service import RPCError, RPCStatusCode

from adapters.stores.ledger_engine import make_engine
from adapters.stores.ledger_migrations import migrate
from gateway.mapping import incident_key
from testkit.gateway import (
    address_of,
    alertmanager_group,
    assert_no_workflow,
    outbox_rows,
    primary_pages,
    served,
    state_of,
)
from testkit.helpers import running_worker
from testkit.polling import wait_until
from testkit.slow_temporal import ANSWER_MS, SlowTemporal


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
                await wait_until(lambda: len(primary_pages(recorder, expected)) == 1, "the primary page")
                state = await state_of(time_env.client, expected)
                assert set(state.alerts) == {"f1", "f2"} and state.source == "alertmanager"
                await wait_until(lambda: outbox_rows(gateway.outbox_url) == [], "an empty outbox")
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
            await wait_until(lambda: len(primary_pages(recorder, expected)) == 1, "the primary page")


async def test_an_insert_that_used_up_the_answer_budget_is_answered_queued_without_waiting_for_temporal(
        time_env, task_queue, recorder):
    """The budget counts from the notification's arrival: when writing its outbox row took the whole budget, the
    answer is `queued` at once, though Temporal is up and takes the row a moment later (not a budget on top)."""
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    expected = incident_key("alertmanager", group["groupKey"])
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, gateway_answer_within_ms=1000) as gateway:
            async with gateway.http() as http:
                with write_locked(gateway.outbox_url, seconds=1.5):  # the insert waits past the 1 s budget
                    answer = await http.post("/webhooks/alertmanager", json=group)
            assert answer.status_code == 200, answer.text
            assert (answer.json()["status"], answer.json()["queued"]) == ("accepted", True), answer.text
            await wait_until(lambda: len(primary_pages(recorder, expected)) == 1, "the primary page")
            await wait_until(lambda: outbox_rows(gateway.outbox_url) == [], "an empty outbox")


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
        await wait_until(lambda: len(primary_pages(recorder, incident)) == 1, "the primary page")


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
