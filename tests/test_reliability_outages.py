"""R3 outages: PagerDuty answering 500, then 429 + Retry-After, for half an hour of workflow time
(time-skipping server). The escalation timers must still fire on time — the pages reach the channels that work
(Slack and the recording channel, which proves the timers) at 0, 5 and 30 minutes — and once PagerDuty is
back every page reaches it exactly once; nothing is dropped. (The Slack outage, PagerDuty carrying the pages,
is tests/test_slack_outage.py.) Real slack-sdk and PagerDuty client, fakes on loopback."""

import asyncio
from datetime import timedelta

import pytest

from activities.channels import RecordingChannel
from activities.channels.slack import channel_name
from domain.severity import Severity
from tests.comms_support import comms_settings, comms_worker, eventually, snapshot
from tests.helpers import start_incident

TIERS = ("primary", "secondary", "tertiary")


def recorded_tiers(recorder: RecordingChannel, incident_id: str) -> list[str]:
    return [p["tier"] for p in recorder.pages() if p["incident_id"] == incident_id]


def seconds(delta: timedelta) -> int:
    return round(delta.total_seconds())


@pytest.mark.slow
async def test_pagerduty_down_for_half_an_hour_escalates_on_time_elsewhere_and_delivers_each_page_once_after(
        time_env, task_queue, tmp_path, slack, pagerduty):
    recorder = RecordingChannel()
    pagerduty.outage = (500, None)
    settings = comms_settings(tmp_path, slack, pagerduty)
    client = time_env.client
    async with comms_worker(client, task_queue, settings, recorder):
        handle = await start_incident(client, task_queue, Severity.SEV1, service="payments",
                                      title="Payment errors while PagerDuty is down")
        incident_id = handle.id.removeprefix("incident-")
        await eventually(lambda: recorded_tiers(recorder, incident_id) == ["primary"], "the primary page")
        detected = (await snapshot(client, incident_id)).detected_at

        await time_env.sleep(timedelta(minutes=6))  # Sev1 ack timeout: 5 minutes
        await eventually(lambda: recorded_tiers(recorder, incident_id) == ["primary", "secondary"],
                         "the ack-timeout page on the working channels")
        pagerduty.outage = (429, 30)  # now rate limited, with Retry-After
        await time_env.sleep(timedelta(minutes=25))
        await eventually(lambda: recorded_tiers(recorder, incident_id) == list(TIERS), "the 30-minute page")
        during = await snapshot(client, incident_id)
        answered_during = {e.status for e in pagerduty.events}
        accepted_during = pagerduty.accepted("trigger")

        pagerduty.outage = None  # back: the retries (backing off to once a minute) go through
        for _ in range(20):
            await time_env.sleep(timedelta(seconds=30))
            await asyncio.sleep(0.3)
            if {b["dedup_key"] for b in pagerduty.accepted("trigger")} >= {f"{incident_id}/{t}" for t in TIERS}:
                break
        await asyncio.sleep(1)
        after = await snapshot(client, incident_id)
        await handle.terminate("test over")

    assert answered_during == {500, 429} and accepted_during == []
    # the escalation timers fired on time while PagerDuty was down ...
    assert [(e.rule, e.tier.value, seconds(e.at - detected)) for e in during.escalations if e.paged] == [
        ("ack-timeout", "secondary", 5 * 60), ("sev1-30m", "tertiary", 30 * 60)]
    # ... and each page reached the recording channel once, and Slack invited each paged person into the room
    assert recorded_tiers(recorder, incident_id) == list(TIERS)
    channel = slack.channel_named(channel_name("inc", incident_id))
    assert channel is not None and len(slack.headers(channel)) == 1
    # after recovery PagerDuty has one alert per tier, each triggered exactly once: nothing dropped or doubled
    assert {k: a.count("trigger") for k, a in pagerduty.alerts().items()} == {
        f"{incident_id}/{t}": 1 for t in TIERS}
    # (the workflow lists a page when its delivery completes: after the outage, in whatever order the retries
    # landed; each keeps the time it was due)
    assert sorted((seconds(p.at - detected), p.tier.value) for p in after.pages) == [
        (0, "primary"), (5 * 60, "secondary"), (30 * 60, "tertiary")]
