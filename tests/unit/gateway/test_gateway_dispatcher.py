"""The outbox dispatcher on a real SQLite outbox, with Temporal replaced by a delivery the test holds or
fails: a row is delivered from memory (never read back) yet deleted only once the delivery succeeded, a
gateway that crashes before delivering leaves its row to the next one, and a row taken over from a crashed
replica goes out with — and before — the newer rows of its group."""

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

from gateway.coalesce import SNAPSHOT, Batch
from gateway.dispatcher import Dispatcher
from gateway.intake import Delivery
from gateway.mapping import AlertGroup
from gateway.metrics import Metrics
from gateway.outbox import NewRow, OutboxStore
from gateway.reachability import Reachability
from gateway.temporal import TemporalConnection, TemporalUnavailable
from testkit.gateway import outbox_rows
from testkit.polling import wait_until as until

LEASE = timedelta(seconds=15)


def snapshot(key: str, *fingerprints: str) -> NewRow:
    group = AlertGroup(source="alertmanager", key=key, title="t", service="s",
                       alerts=[{"fingerprint": f} for f in fingerprints])
    return NewRow(key=key, kind=SNAPSHOT, source="alertmanager", body=group.model_dump_json())


class HeldTemporal:
    """The delivery: waits until released, then succeeds (or raises `failure`); records what it was given."""

    def __init__(self, released: bool = False) -> None:
        self.released = asyncio.Event()
        if released:
            self.released.set()
        self.failure: Exception | None = None
        self.batches: list[Batch] = []

    async def __call__(self, batch: Batch) -> Delivery:
        self.batches.append(batch)
        await self.released.wait()
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        return Delivery(outcome="started", incident_id=batch.key)


class CountingStore(OutboxStore):
    def __init__(self, url: str, lease: timedelta):
        super().__init__(url, lease)
        self.reads = 0

    async def rows(self, key, holder):
        self.reads += 1
        return await super().rows(key, holder)


def dispatcher(url: str, deliver, lease: timedelta = LEASE) -> Dispatcher:
    reachability = Reachability(TemporalConnection("127.0.0.1:1", "default"))
    return Dispatcher(CountingStore(url, lease), deliver, reachability, Metrics())


@asynccontextmanager
async def running(url: str, deliver, lease: timedelta = LEASE):
    gateway = dispatcher(url, deliver, lease)
    try:
        yield gateway
    finally:
        await gateway.stop()


async def test_a_row_delivered_from_memory_is_deleted_only_after_temporal_took_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    temporal = HeldTemporal()
    async with running(url, temporal) as gateway:
        ticket = await gateway.enqueue(snapshot("am-1", "f1"), "am-1")
        await until(lambda: len(temporal.batches) == 1, "the delivery")
        assert [r.id for r in temporal.batches[0].rows] == [ticket.row_id]
        assert [a.fingerprint for a in temporal.batches[0].group.alerts] == ["f1"]
        assert gateway.store.reads == 0  # handed over from memory, not read back
        assert [r["id"] for r in outbox_rows(url)] == [ticket.row_id]  # still queued while Temporal holds it

        temporal.released.set()
        delivery = await asyncio.wait_for(ticket.delivered, 10)
        assert delivery.incident_id == "am-1"
        await until(lambda: outbox_rows(url) == [], "the row deleted")


async def test_a_failed_delivery_from_memory_keeps_its_row_and_is_retried(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    temporal = HeldTemporal(released=True)
    temporal.failure = TemporalUnavailable("down")
    async with running(url, temporal) as gateway:
        ticket = await gateway.enqueue(snapshot("am-1", "f1"), "am-1")
        failure = await asyncio.wait_for(ticket.failed, 10)
        assert isinstance(failure, TemporalUnavailable)
        assert [r["id"] for r in outbox_rows(url)] == [ticket.row_id]
        gateway.reachability.on_recovered()  # Temporal is back: no backoff to sit out
        await asyncio.wait_for(ticket.delivered, 10)
        assert len(temporal.batches) == 2 and gateway.store.reads == 0
        await until(lambda: outbox_rows(url) == [], "the row deleted")


async def test_a_withdrawn_row_is_never_delivered_from_memory(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    temporal = HeldTemporal()
    async with running(url, temporal) as gateway:
        first = await gateway.enqueue(snapshot("am-1", "f1"), "am-1")
        await until(lambda: len(temporal.batches) == 1, "the first delivery, held")
        second = await gateway.enqueue(snapshot("am-1", "f1", "f2"), "am-1")  # queued behind it
        third = await gateway.enqueue(snapshot("am-1", "f1", "f2", "f3"), "am-1")
        await gateway.withdraw(third)  # its request answered an error instead
        temporal.released.set()
        await asyncio.wait_for(second.delivered, 10)
        assert [[r.id for r in b.rows] for b in temporal.batches] == [[first.row_id], [second.row_id]]
        assert [a.fingerprint for a in temporal.batches[1].group.alerts] == ["f1", "f2"]
        await until(lambda: outbox_rows(url) == [], "an empty outbox")


async def test_a_gateway_crashing_before_delivery_leaves_its_row_to_the_next_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    lease = timedelta(seconds=0.3)
    never = HeldTemporal()
    crashed = dispatcher(url, never, lease)
    ticket = await crashed.enqueue(snapshot("am-1", "f1"), "am-1")
    await until(lambda: len(never.batches) == 1, "the delivery that never ends")
    await _crash(crashed)
    [left] = outbox_rows(url)
    assert left["id"] == ticket.row_id and left["claimed_by"] == crashed.holder  # a lease nobody renews

    await asyncio.sleep(lease.total_seconds())
    temporal = HeldTemporal(released=True)
    async with running(url, temporal, lease) as successor:
        await successor.warm_up()  # takes over what ran out and delivers it
        await until(lambda: outbox_rows(url) == [], "the left row delivered and deleted")
        assert [[r.id for r in b.rows] for b in temporal.batches] == [[ticket.row_id]]
        assert successor.store.reads >= 1  # not its own row: read from the database


async def test_a_row_taken_over_goes_out_before_the_newer_rows_of_its_group(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    lease = timedelta(seconds=0.3)
    crashed = dispatcher(url, HeldTemporal(), lease)
    old = await crashed.enqueue(snapshot("am-1", "f1"), "am-1")
    await _crash(crashed)
    await asyncio.sleep(lease.total_seconds())

    temporal = HeldTemporal()
    async with running(url, temporal, lease) as successor:
        other = await successor.enqueue(snapshot("am-2", "g1"), "am-2")  # starts its housekeeping: a claim
        await until(lambda: _claimed_by(url, old.row_id) == successor.holder, "the crashed replica's row taken over")
        new = await successor.enqueue(snapshot("am-1", "f1", "f2"), "am-1")
        temporal.released.set()
        await asyncio.wait_for(new.delivered, 10)
        await asyncio.wait_for(other.delivered, 10)
        am1 = [r.id for b in temporal.batches if b.key == "am-1" for r in b.rows]
        assert am1 == [old.row_id, new.row_id]  # in order, each once
        await until(lambda: outbox_rows(url) == [], "an empty outbox")


def _claimed_by(url: str, row_id: int) -> str | None:
    return next((r["claimed_by"] for r in outbox_rows(url) if r["id"] == row_id), None)


async def _crash(gateway: Dispatcher) -> None:
    """The process dies: its tasks end, nothing is released or deleted."""
    tasks = [t for t in (gateway._housekeeping, *gateway._draining.values()) if t is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    gateway.store.close()
