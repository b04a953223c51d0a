"""Pure parts of the gateway: the dedup window, payload mapping, the dev token file."""

import asyncio
import stat

import pytest

from gateway.dedup import Deduplicator
from gateway.mapping import from_alertmanager, from_generic, incident_key
from gateway.payloads import AlertmanagerPayload, GenericEvent
from gateway.tokens import ensure_dev_token
from tests.gateway_support import example


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


@pytest.mark.parametrize("name", ["alertmanager-firing.json", "alertmanager-resolved.json"])
def test_example_payloads_validate(name):
    AlertmanagerPayload.model_validate(example(name))
