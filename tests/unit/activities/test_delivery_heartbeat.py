"""Delivery activities heartbeat while a channel is slow, so Temporal can retry an attempt lost with its worker
after DELIVERY's heartbeat timeout instead of the 30 s start-to-close timeout (docs/reliability.md R1)."""

import asyncio
import uuid
from datetime import UTC, datetime

from temporalio.testing import ActivityEnvironment

from activities import heartbeat
from activities.notify import NotificationActivities
from domain.comms.notifications import PageRequest
from domain.incident.severity import Severity, Tier


class SlowChannel:
    name = "slow"

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.paged: list[str] = []

    async def page(self, request, target, person) -> None:
        await asyncio.sleep(self.seconds)
        self.paged.append(target)


async def test_a_page_held_up_by_a_slow_channel_keeps_heartbeating_and_is_delivered(policy, monkeypatch):
    monkeypatch.setattr(heartbeat, "HEARTBEAT_EVERY_SECONDS", 0.05)
    channel = SlowChannel(seconds=0.5)  # ten heartbeat periods
    request = PageRequest(key=f"wf/run/{uuid.uuid4().hex}/primary", incident_id="h-1", title="Payments down",
                          service="payments", severity=Severity.SEV1, tier=Tier.PRIMARY, reason="declared",
                          at=datetime.now(UTC), oncall=policy.oncall)
    beats: list[tuple] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)

    outcome = await env.run(NotificationActivities([channel]).page_responder, request)

    assert channel.paged == [outcome.target] and outcome.target is not None
    assert len(beats) >= 5, beats


async def test_a_quick_delivery_sends_no_heartbeat(policy):
    beats: list[tuple] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    request = PageRequest(key=f"wf/run/{uuid.uuid4().hex}/primary", incident_id="h-2", title="Payments down",
                          service="payments", severity=Severity.SEV1, tier=Tier.PRIMARY, reason="declared",
                          at=datetime.now(UTC), oncall=policy.oncall)

    await env.run(NotificationActivities([SlowChannel(seconds=0)]).page_responder, request)

    assert beats == []  # no extra server write for the common, fast attempt

