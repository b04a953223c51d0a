"""Slack through the real slack-sdk client against a fake Slack Web API on loopback, and a real Temporal
(time-skipping) server: the incident channel, the header with buttons updated in place, threaded replies,
rate limits and lost answers without duplicate posts, and a worker stopped mid-post."""

import json
from datetime import UTC, datetime

import pytest

from adapters.channels.slack import channel_name
from domain.incident.severity import Severity, Tier
from domain.oncall.rotation import holder
from testkit.comms import comms_settings, comms_worker, header_of, snapshot
from testkit.fakes.slack_api import FakeSlack, Fault, is_header, is_thread_reply
from testkit.helpers import start_incident
from testkit.polling import wait_until


async def test_declare_creates_channel_invites_on_call_and_posts_header_with_buttons(
        time_env, task_queue, tmp_path, slack, policy):
    settings = comms_settings(tmp_path, slack)
    async with comms_worker(time_env.client, task_queue, settings):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1,
                                      title="결제 실패 급증 (payment errors)", declared_by="seoyeon")
        incident_id = handle.id.removeprefix("incident-")
        channel, header = await wait_until(lambda: header_of(slack, incident_id), "the header message")
        state = await wait_until(lambda: _with_room(time_env.client, incident_id), "the room in workflow state")
        await handle.terminate("test over")

    assert channel.name == f"inc-{incident_id}"
    assert state.room.channel == channel.id and state.room.ts == header["ts"]
    now = datetime.now(UTC)
    on_call = {policy.oncall.people[h].slack_id for h in
               (holder(policy.oncall, Tier.PRIMARY, now), holder(policy.oncall, Tier.SECONDARY, now), "seoyeon")}
    assert on_call <= channel.members
    actions = next(b for b in header["blocks"] if b["type"] == "actions")
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("acknowledge", incident_id), ("ic", incident_id), ("mitigated", incident_id), ("resolve", incident_id)]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Acknowledge", "I'm IC", "Mark mitigated", "Resolve"]
    declaration = header["blocks"][1]["text"]["text"]
    assert "🚨 INCIDENT DECLARED 🚨" in declaration and "서비스: payments" in declaration
    assert "결제 실패 급증" in header["blocks"][0]["text"]["text"]
    assert header["text"]  # the fallback text for notifications
    assert len(slack.calls_of("conversations.create")) == 1


async def _with_room(client, incident_id):
    state = await snapshot(client, incident_id)
    return state if state and state.room else None


async def test_phase_changes_update_the_same_header_and_thread_every_decision(time_env, task_queue, tmp_path, slack):
    from domain.incident import decisions as d
    from workflows.incident import IncidentWorkflow

    settings = comms_settings(tmp_path, slack)
    async with comms_worker(time_env.client, task_queue, settings):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        incident_id = handle.id.removeprefix("incident-")
        await wait_until(lambda: _with_room(time_env.client, incident_id), "the room")
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="minsu"))
        await handle.execute_update(IncidentWorkflow.decide, d.MarkMitigated(by="minsu"))
        channel, header = header_of(slack, incident_id)
        await wait_until(lambda: "mitigated" in header["text"], "the header to show the mitigated phase")
        replies = await wait_until(lambda: len(slack.replies(channel, header["ts"])) >= 3 and
                                   slack.replies(channel, header["ts"]), "threaded replies")
        await handle.terminate("test over")

    updates = slack.calls_of("chat.update")
    assert updates and {(c.args["channel"], c.args["ts"]) for c in updates} == {(channel.id, header["ts"])}
    assert len(slack.headers(channel)) == 1
    texts = [r["text"] for r in replies]
    assert any("paged primary" in t for t in texts)
    assert any("minsu acknowledged" in t for t in texts)
    assert any("marked the incident mitigated" in t for t in texts)
    actions = [e["action_id"] for b in header["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["ic", "resolve"]  # acknowledged and mitigated: those buttons are gone


async def test_rate_limit_retries_after_retry_after_and_lost_answers_post_once(time_env, task_queue, tmp_path, slack):
    slack.fail_next("chat.postMessage", Fault(status=429, retry_after=2, when=is_header))
    slack.fail_next("chat.postMessage", Fault(status=500, after_effect=True, when=is_thread_reply))  # answer lost
    settings = comms_settings(tmp_path, slack)
    async with comms_worker(time_env.client, task_queue, settings):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        incident_id = handle.id.removeprefix("incident-")
        state = await wait_until(lambda: _with_room(time_env.client, incident_id), "the room", timeout=30)
        channel, header = header_of(slack, incident_id)
        await wait_until(lambda: any("paged primary" in r["text"] for r in slack.replies(channel, header["ts"])),
                         "the page note in the thread", timeout=30)
        await handle.terminate("test over")

    posts = [c for c in slack.calls_of("chat.postMessage", ok_only=False) if is_header(c.args)]
    limited, retried = posts[0], posts[1]
    assert limited.status == 429
    assert retried.at - limited.at >= 1.9, "the retry came before Retry-After"
    assert len(slack.headers(channel)) == 1
    assert state.room.ts == header["ts"]
    keys = [(r.get("metadata") or {}).get("event_payload", {}).get("key") for r in slack.replies(channel, header["ts"])]
    assert len(keys) == len(set(keys)), f"a message was posted twice: {slack.transcript()}"


@pytest.mark.slow
async def test_worker_stopped_mid_post_does_not_post_the_header_twice(dev_client, task_queue, tmp_path, slack):
    """The real dev server (sticky task queues behave as in production when a worker goes away)."""
    slack.fail_next("chat.postMessage", Fault(hold_seconds=20, when=is_header))  # posted; the answer never comes
    settings = comms_settings(tmp_path, slack)
    async with comms_worker(dev_client, task_queue, settings):
        handle = await start_incident(dev_client, task_queue, Severity.SEV2)
        incident_id = handle.id.removeprefix("incident-")
        await wait_until(lambda: header_of(slack, incident_id), "the header to be posted")
    # the first worker is gone; a new one takes over the retried activity
    async with comms_worker(dev_client, task_queue, settings):
        state = await wait_until(lambda: _with_room(dev_client, incident_id), "the room", timeout=60)
        await handle.terminate("test over")
    channel, header = header_of(slack, incident_id)
    assert len(slack.headers(channel)) == 1
    assert state.room.ts == header["ts"]
    assert len(slack.calls_of("conversations.create", ok_only=False)) >= 1


async def test_without_a_pager_the_paged_person_gets_a_slack_dm_and_drills_reach_nobody(
        time_env, task_queue, tmp_path, slack):
    settings = comms_settings(tmp_path, slack)
    async with comms_worker(time_env.client, task_queue, settings):
        drill = await start_incident(time_env.client, task_queue, Severity.SEV0, drill=True, title="Tabletop")
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        incident_id = handle.id.removeprefix("incident-")
        state = await wait_until(lambda: _paged(time_env.client, incident_id), "the primary page")
        person = await wait_until(lambda: _dm_for(slack, state), "the DM to the paged person")
        drill_state = await snapshot(time_env.client, drill.id.removeprefix("incident-"))
        for running in (drill, handle):
            await running.terminate("test over")

    dm = [m["text"] for m in slack.channels[f"D{person}"].messages]
    assert len(dm) == 1 and dm[0].startswith("📟 You are paged (primary) for [SEV2] payments"), dm
    assert drill_state.pages, "the drill paged its (fake) roster in the workflow"
    assert not slack.channel_named(channel_name("inc", drill.id.removeprefix("incident-")))
    assert all("Tabletop" not in json.dumps(c.args, ensure_ascii=False) for c in slack.calls)


async def _paged(client, incident_id):
    state = await snapshot(client, incident_id)
    return state if state and state.pages else None


def _dm_for(slack: FakeSlack, state):
    from adapters.policy_files import load_policy
    from testkit.environment import POLICY_DIR

    person = load_policy(POLICY_DIR).oncall.people[state.pages[0].target].slack_id
    channel = slack.channels.get(f"D{person}")
    return person if channel and channel.messages else None
