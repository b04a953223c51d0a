"""Personal notification rules on durable timers (time-skipping server): a Sev1 nobody answers walks the primary's
chain (Slack DM at once, SMS at 2 minutes, voice at 5) and then the secondary's; the acknowledgement stops it; a
refused method falls over to the next at once; a person no method reaches makes the tier a gap; without rules
every channel takes the page at once, as before; stored histories never follow rules (docs/upgrading.md)."""

from datetime import timedelta

from adapters.channels import RecordingChannel
from domain.incident import decisions as d
from domain.incident.severity import Severity
from testkit.channels import StepChannels, with_notification_rules
from testkit.comms import edited_policy
from testkit.helpers import offsets, start_incident
from testkit.histories import patch_answers
from worker import build_worker
from workflows import incident_versions as versions
from workflows.incident import IncidentWorkflow


def rules_in(tmp_path, own: dict | None = None):
    """Primary minsu, secondary jiyoung, the team default chain DM → SMS at 2 m → voice at 5 m (testkit)."""
    return edited_policy(tmp_path / "policy", with_notification_rules(own))


async def run_sev1(time_env, task_queue, policy_dir, channels, minutes: float, acknowledge_at: float | None = None):
    async with build_worker(time_env.client, task_queue, [*channels.channels, RecordingChannel()]):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1, policy_dir=str(policy_dir))
        if acknowledge_at is not None:
            await time_env.sleep(timedelta(minutes=acknowledge_at))
            await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="minsu"))
        await time_env.sleep(timedelta(minutes=minutes - (acknowledge_at or 0)))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")
    return state


def lines(state, *starts: str) -> list[str]:
    return [e.text for e in state.timeline if e.text.startswith(starts)]


async def test_an_unanswered_sev1_walks_the_primarys_chain_then_the_secondarys(time_env, task_queue, tmp_path):
    channels = StepChannels("slack", "sms", "voice")
    state = await run_sev1(time_env, task_queue, rules_in(tmp_path), channels, minutes=12)
    assert sorted(channels.sent(state.detected_at), key=lambda s: (s[2], s[1] != "minsu")) == [
        ("slack", "minsu", 0), ("sms", "minsu", 120), ("voice", "minsu", 300),
        ("slack", "jiyoung", 300), ("sms", "jiyoung", 420), ("voice", "jiyoung", 600)]
    assert offsets(state.pages, state.detected_at) == [("primary", 0), ("secondary", 300)]
    assert lines(state, "notified minsu") == ["notified minsu by slack (step 1 of 3)",
                                              "notified minsu by sms (step 2 of 3)",
                                              "notified minsu by voice (step 3 of 3)"]
    assert lines(state, "ack-timeout") == ["ack-timeout: not acknowledged within 5m (sev1 response time) → paging "
                                           "secondary"]


async def test_acknowledging_stops_the_chain(time_env, task_queue, tmp_path):
    channels = StepChannels("slack", "sms", "voice")
    state = await run_sev1(time_env, task_queue, rules_in(tmp_path), channels, minutes=10,
                           acknowledge_at=3)
    assert channels.sent(state.detected_at) == [("slack", "minsu", 0), ("sms", "minsu", 120)]
    assert offsets(state.pages, state.detected_at) == [("primary", 0)]
    assert state.acknowledged_by == "minsu"


async def test_a_refused_sms_falls_over_to_voice_at_once(time_env, task_queue, tmp_path):
    channels = StepChannels("slack", "sms", "voice", refusing=("sms",))
    state = await run_sev1(time_env, task_queue, rules_in(tmp_path), channels, minutes=4)
    assert channels.sent(state.detected_at) == [("slack", "minsu", 0), ("voice", "minsu", 120)]
    assert lines(state, "sms to minsu") == ["sms to minsu refused: Twilio refused sms page to minsu: HTTP 400 error "
                                            "21211: not a valid phone number, falling over to voice"]
    assert [(s.step, s.via, s.channels, round((s.at - state.detected_at).total_seconds()))
            for s in state.pages[0].steps] == [(0, ["slack"], ["slack"], 0), (1, ["sms"], [], 120),
                                               (2, ["voice"], ["voice"], 120)]


async def test_a_person_no_method_reaches_makes_the_tier_a_gap(time_env, task_queue, tmp_path):
    # minsu is reached by phone only, and this worker has no phone channels
    own = {"minsu": [{"after": "0m", "via": "sms"}, {"after": "1m", "via": ["voice"]}]}
    channels = StepChannels("slack")
    state = await run_sev1(time_env, task_queue, rules_in(tmp_path, own), channels, minutes=1)
    assert channels.sent(state.detected_at) == [("slack", "jiyoung", 0)]
    assert offsets(state.pages, state.detected_at) == [("primary", 0), ("secondary", 0)]
    assert lines(state, "sms to minsu", "voice to minsu", "unreachable") == [
        "sms to minsu refused: not configured, falling over to voice",
        "voice to minsu refused: not configured, no step left",
        "unreachable: minsu (Kim Minsu) could not be reached by sms or voice → paging secondary"]
    assert [(e.rule, e.tier.value, e.paged) for e in state.escalations] == [("unreachable", "secondary", True)]


async def test_without_rules_every_channel_takes_the_page_at_once_as_before(time_env, recorder, task_queue):
    channels = StepChannels("slack", "sms")
    async with build_worker(time_env.client, task_queue, [*channels.channels, recorder]):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(minutes=8))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")
    primary, secondary = state.pages[0].target, state.pages[1].target
    assert state.follows_notification_rules
    assert offsets(state.pages, state.detected_at) == [("primary", 0), ("secondary", 300)]
    assert sorted(channels.sent(state.detected_at)) == sorted([
        ("slack", primary, 0), ("sms", primary, 0), ("slack", secondary, 300), ("sms", secondary, 300)])
    assert [p["tier"] for p in recorder.pages()] == ["primary", "secondary"]
    assert all(not p.steps for p in state.pages) and [e for e in state.timeline if "(step " in e.text] == []


async def test_a_drill_walks_the_chain_in_its_timeline_and_reaches_nobody(time_env, recorder, task_queue, tmp_path):
    channels = StepChannels("slack", "sms", "voice")
    policy_dir = rules_in(tmp_path)
    async with build_worker(time_env.client, task_queue, [*channels.channels, recorder]):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1, policy_dir=str(policy_dir),
                                      drill=True)
        await time_env.sleep(timedelta(minutes=3))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")
    assert channels.pages == []
    assert lines(state, "notified minsu") == ["notified minsu by drill-transcript (step 1 of 3)",
                                              "notified minsu by drill-transcript (step 2 of 3)"]


async def test_every_stored_history_was_declared_before_notification_rules(monkeypatch):
    answers = await patch_answers(monkeypatch, {versions.NOTIFICATION_RULES_FOLLOWED})
    assert answers and [a for a in answers if a[2]] == []


async def test_a_step_still_retried_when_someone_acknowledges_is_never_sent(time_env, task_queue, tmp_path):
    channels = StepChannels("slack", "sms", "voice")
    channels.down.add("sms")  # Twilio answers 503 from 2 m on: the SMS step is retried
    policy_dir = rules_in(tmp_path)
    async with build_worker(time_env.client, task_queue, [*channels.channels, RecordingChannel()]):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1, policy_dir=str(policy_dir))
        await time_env.sleep(timedelta(minutes=3))
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="minsu"))
        channels.down.clear()
        await time_env.sleep(timedelta(minutes=10))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")
    assert channels.sent(state.detected_at) == [("slack", "minsu", 0)]
    assert lines(state, "sms to minsu") == ["sms to minsu stopped: acknowledged before it went out"]
