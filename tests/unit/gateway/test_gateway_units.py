"""Pure parts of the gateway: the dedup window, coalescing queued rows, payload mapping, the dev token file."""

import asyncio
import stat
from datetime import UTC, datetime

import pytest

from cli.dev_token import ensure_dev_token, ensure_feed_secret
from domain.incident.decisions import DECISION_ADAPTER, Acknowledge
from gateway.coalesce import DECISION, SNAPSHOT, next_batch
from gateway.dedup import Deduplicator
from gateway.mapping import from_alertmanager, from_generic, incident_key
from gateway.outbox import OutboxRow
from gateway.payloads import AlertmanagerPayload, GenericEvent
from testkit.gateway import alertmanager_group, example


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_only_the_latest_accepted_snapshot_of_a_key_counts_as_duplicate():
    clock, calls = Clock(), []
    dedup: Deduplicator[str] = Deduplicator(60, clock=clock)

    async def call(name):
        calls.append(name)
        return name

    assert await dedup.run("g", "firing", lambda: call("firing")) == ("firing", False)
    assert await dedup.run("g", "firing", lambda: call("firing")) == ("firing", True)
    assert await dedup.run("g", "resolved", lambda: call("resolved")) == ("resolved", False)
    # flapping: firing again right after resolved is news, not a duplicate
    assert await dedup.run("g", "firing", lambda: call("firing")) == ("firing", False)
    clock.now = 61
    assert await dedup.run("g", "firing", lambda: call("firing")) == ("firing", False)
    assert calls == ["firing", "resolved", "firing", "firing"]


async def test_concurrent_identical_requests_share_one_call_and_a_failure_is_not_remembered():
    dedup: Deduplicator[str] = Deduplicator(60)
    release, calls = asyncio.Event(), []

    async def slow():
        calls.append(1)
        await release.wait()
        raise ConnectionError("temporal down")

    waiting = [asyncio.ensure_future(dedup.run("g", "d", slow)) for _ in range(3)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert calls == [1] and all(isinstance(r, ConnectionError) for r in results)

    async def ok():
        calls.append(2)
        return "accepted"

    assert await dedup.run("g", "d", ok) == ("accepted", False)  # the retry is a real call
    assert calls == [1, 2]


async def test_a_withdrawn_snapshot_is_forgotten_so_the_retry_is_queued_again():
    dedup: Deduplicator[str] = Deduplicator(60)

    async def queue():
        return "row"

    assert await dedup.run("g", "d", queue) == ("row", False)
    dedup.forget("g", "other digest")  # only the snapshot that was withdrawn
    assert await dedup.run("g", "d", queue) == ("row", True)
    dedup.forget("g", "d")
    assert await dedup.run("g", "d", queue) == ("row", False)


def snapshot_row(row_id: int, status: str = "firing", fingerprints=("a",), statuses: dict | None = None) -> OutboxRow:
    payload = alertmanager_group("group-1", status=status, fingerprints=fingerprints)
    for alert in payload["alerts"]:
        alert["status"] = (statuses or {}).get(alert["fingerprint"], alert["status"])
    group = from_alertmanager(AlertmanagerPayload.model_validate(payload))
    return OutboxRow(row_id, group.key, SNAPSHOT, "alertmanager", group.model_dump_json(), datetime.now(UTC))


def decision_row(row_id: int, key: str) -> OutboxRow:
    body = DECISION_ADAPTER.dump_json(Acknowledge(by="pagerduty")).decode()
    return OutboxRow(row_id, key, DECISION, "pagerduty", body, datetime.now(UTC))


def test_queued_snapshots_merge_into_one_with_each_alert_as_the_newest_row_had_it():
    rows = [snapshot_row(1, fingerprints=("a",)), snapshot_row(2, fingerprints=("a", "b")),
            snapshot_row(3, fingerprints=("b", "c"), statuses={"b": "resolved"})]
    batch = next_batch(rows)
    assert batch.ids == [1, 2, 3] and batch.decision is None
    # "a" is gone from the newest snapshot but stays as the incident knows it; "b" resolved; "c" new
    assert [(a.fingerprint, a.status) for a in batch.group.alerts] == [("a", "firing"), ("b", "resolved"),
                                                                        ("c", "firing")]


def test_a_decision_is_delivered_alone_and_in_order():
    first = snapshot_row(1)
    rows = [first, snapshot_row(2, fingerprints=("a", "b")), decision_row(3, first.key), snapshot_row(4)]
    assert next_batch(rows).ids == [1, 2]  # the snapshots before it
    decision = next_batch(rows[2:])
    assert decision.ids == [3] and decision.decision == Acknowledge(by="pagerduty") and decision.group is None


def test_a_firing_snapshot_is_not_swallowed_by_a_resolved_one_queued_after_it():
    rows = [snapshot_row(1), snapshot_row(2, fingerprints=("a", "b")), snapshot_row(3, "resolved", ("a", "b"))]
    opening = next_batch(rows)
    assert opening.ids == [1, 2] and opening.group.firing  # opens the incident…
    assert next_batch(rows[2:]).ids == [3]  # …which the resolved snapshot then mitigates


def test_alertmanager_mapping_takes_key_title_service_and_times_from_the_payload():
    group = from_alertmanager(AlertmanagerPayload.model_validate(example("alertmanager-firing.json")))
    assert group.key == incident_key("alertmanager", example("alertmanager-firing.json")["groupKey"])
    assert group.key.startswith("am-") and len(group.key) == 19
    assert group.title == "PaymentErrorRateHigh: Payment error rate above 5% for 5 minutes"
    assert group.service == "payments"
    assert [a.fingerprint for a in group.alerts] == ["c0ffee0000000001", "c0ffee0000000002"]
    assert all(a.ends_at is None for a in group.alerts)  # 0001-01-01 means "not ended"
    start = group.start(group.key)
    assert start.started_at.isoformat() == "2026-05-04T10:02:00+00:00" and start.severity is None


def test_unknown_alertmanager_fields_are_tolerated():
    payload = {**example("alertmanager-firing.json"), "someFutureField": {"x": 1}}
    payload["alerts"][0]["someOtherField"] = [1, 2]
    assert from_alertmanager(AlertmanagerPayload.model_validate(payload)).alerts


def test_generic_event_severity_is_the_starting_severity():
    group = from_generic(GenericEvent.model_validate(example("generic-firing.json")))
    assert group.start("x").severity.value == "sev2" and group.service == "leaderboard"


def test_dev_token_is_generated_once_owner_only_and_an_explicit_one_wins(tmp_path):
    token, path = ensure_dev_token(tmp_path, None)
    assert path == tmp_path / "api-token" and len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_dev_token(tmp_path, None) == (token, path)
    assert ensure_dev_token(tmp_path, "mine,next") == ("mine,next", None)



def test_the_dev_stacks_feed_secret_is_its_own_owner_only_file_and_an_explicit_one_wins(tmp_path):
    token, _ = ensure_dev_token(tmp_path, None)
    secret = ensure_feed_secret(tmp_path, None)
    assert secret != token and ensure_feed_secret(tmp_path, None) == secret  # kept across restarts
    assert stat.S_IMODE((tmp_path / "oncall-feed-secret").stat().st_mode) == 0o600
    assert (tmp_path / "api-token").read_text().strip() == token
    assert ensure_feed_secret(tmp_path, "configured") == "configured"


@pytest.mark.parametrize("name", ["alertmanager-firing.json", "alertmanager-resolved.json"])
def test_example_payloads_validate(name):
    AlertmanagerPayload.model_validate(example(name))
