"""A Slack outage never delays escalation: while the fake Slack answers 500 and then 429 + Retry-After to
everything, PagerDuty still gets the primary page at once and the escalation pages at 5 and 30 minutes
(time-skipping server); once Slack is back, the room opens and every thread message is delivered exactly
once. Real slack-sdk, real PagerDuty client, fakes on loopback."""

from datetime import timedelta

from adapters.channels import RecordingChannel
from adapters.channels.slack import channel_name, message_key
from adapters.policy_files import load_policy
from domain.incident.severity import Severity
from testkit.comms import comms_settings, comms_worker, snapshot
from testkit.environment import POLICY_DIR
from testkit.fakes.pagerduty import FakePagerDuty
from testkit.fakes.slack_api import FakeSlack, Fault
from testkit.helpers import start_incident
from testkit.polling import skip_time_until, wait_until


def triggered(pagerduty: FakePagerDuty, incident_id: str, tier: str) -> bool:
    return any(b["dedup_key"] == f"{incident_id}/{tier}" for b in pagerduty.accepted("trigger"))


def seconds(delta: timedelta) -> int:
    """Whole seconds: a durable timer fires within milliseconds of its deadline (the workflow task's time)."""
    return round(delta.total_seconds())


def slack_answered_ok(slack: FakeSlack) -> list[str]:
    return [c.method for c in slack.calls if c.status == 200]


def thread_keys(slack: FakeSlack, incident_id: str) -> list[str] | None:
    channel = slack.channel_named(channel_name("inc", incident_id))
    headers = slack.headers(channel) if channel else []
    if not headers:
        return None
    return [(r.get("metadata") or {}).get("event_payload", {}).get("key") for r in
            slack.replies(channel, headers[0]["ts"])]


async def test_slack_down_does_not_delay_pagerduty_pages_or_escalations_and_recovers_without_duplicates(
        time_env, task_queue, tmp_path, slack, pagerduty):
    recorder = RecordingChannel()
    slack.outage = Fault(status=500)
    settings = comms_settings(tmp_path, slack, pagerduty)
    client = time_env.client
    async with comms_worker(client, task_queue, settings, recorder):
        handle = await start_incident(client, task_queue, Severity.SEV1, service="payments",
                                      title="결제 실패 급증 — Slack is down too")
        incident_id = handle.id.removeprefix("incident-")
        await wait_until(lambda: triggered(pagerduty, incident_id, "primary"), "the primary page on PagerDuty")
        state = await snapshot(client, incident_id)
        detected = state.detected_at

        # not acknowledged within Sev1's 5 minutes: the secondary is paged, Slack still answering 500
        await time_env.sleep(timedelta(minutes=6))
        await wait_until(lambda: triggered(pagerduty, incident_id, "secondary"), "the ack-timeout page")
        assert slack_answered_ok(slack) == []

        # Slack now rate-limits everything; 30 minutes: the team lead (tertiary) is paged on time
        slack.outage = Fault(status=429, retry_after=20)
        await time_env.sleep(timedelta(minutes=25))
        await wait_until(lambda: triggered(pagerduty, incident_id, "tertiary"), "the 30-minute page")
        assert slack_answered_ok(slack) == []
        during = await snapshot(client, incident_id)
        failed = {c.status for c in slack.calls}

        # Slack is back: retries (at most a minute of backoff apart) deliver everything that was held back
        slack.outage = None

        def sent() -> set[str]:
            return {message_key(r["key"]) for r in recorder.read()
                    if r["type"] == "message" and r["incident_id"] == incident_id and r["kind"] != "declared"}

        async def everything_delivered() -> bool:
            keys = thread_keys(slack, incident_id)
            return keys is not None and sent() <= set(keys) and bool((await snapshot(client, incident_id)).room)

        await skip_time_until(time_env, everything_delivered, "every held-back message in the thread", steps=40)
        expected = sent()
        state = await snapshot(client, incident_id)
        await handle.terminate("test over")

    assert failed == {500, 429}
    # escalation timers fired on time while Slack was down
    assert [(e.rule, e.tier.value, seconds(e.at - detected), e.paged) for e in during.escalations] == [
        ("ack-timeout", "secondary", 5 * 60, True),
        ("sev1-15m", "secondary", 15 * 60, False),
        ("sev1-30m", "tertiary", 30 * 60, True),
    ]
    # PagerDuty: one alert per tier, each triggered once, at page time
    assert {k: a.count("trigger") for k, a in pagerduty.alerts().items()} == {
        f"{incident_id}/{t}": 1 for t in ("primary", "secondary", "tertiary")}
    # ... and the workflow recorded those pages while Slack was still down (Slack's part of a page is only a
    # courtesy invite for someone PagerDuty covers), with the paged note in the timeline at page time
    assert [(p.tier.value, seconds(p.at - detected)) for p in during.pages] == [
        ("primary", 0), ("secondary", 5 * 60), ("tertiary", 30 * 60)]
    notes = [(seconds(e.at - detected), e.text.split(" (")[0]) for e in during.timeline if e.kind == "page"]
    # (the note is written when the page activity returns: seconds after the page, not after Slack recovers)
    assert [text.rsplit(" ", 1)[0] for _, text in notes] == ["paged primary", "paged secondary", "paged tertiary"]
    assert all(abs(at - due) <= 10 for (at, _), due in zip(notes, (0, 5 * 60, 30 * 60), strict=True)), notes
    assert state.pages == during.pages
    # Slack: one channel, one header, every thread message exactly once
    assert len(slack.calls_of("conversations.create")) == 1
    channel = slack.channel_named(channel_name("inc", incident_id))
    assert len(slack.headers(channel)) == 1 and state.room.ts == slack.headers(channel)[0]["ts"]
    keys = thread_keys(slack, incident_id)
    assert sorted(keys) == sorted(expected), slack.transcript()
    thread = [r["text"] for r in slack.replies(channel, state.room.ts)]
    for expected_text in ("paged primary", "paged secondary", "paged tertiary", "→ paging secondary",
                          "→ paging tertiary", "Internal update due"):
        assert sum(expected_text in t for t in thread) >= 1, (expected_text, thread)
    assert sum("paged tertiary" in t for t in thread) == 1
    # everyone paged during the outage ended up in the room (the team lead was invited by a header update)
    people = load_policy(POLICY_DIR).oncall.people
    assert {people[p.target].slack_id for p in state.pages} <= channel.members
