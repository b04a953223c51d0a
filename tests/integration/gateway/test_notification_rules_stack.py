"""Notification rules with the real channels against the fakes: a Sev1 nobody answers DMs the primary on the fake
Slack at once, texts them through the fake Twilio at 2 minutes and calls them at 5, when the secondary is paged
by DM too; the primary's SMS reply "1" through the real gateway acknowledges, and the secondary's SMS and call
never go out (worker on the time-skipping server, real slack-sdk and twilio clients, signed webhook)."""

from datetime import timedelta

from adapters.policy_files import load_policy
from domain.incident.severity import Severity
from testkit.channels import sms_reply, twilio_settings, with_notification_rules
from testkit.comms import comms_settings, comms_worker, edited_policy, snapshot
from testkit.gateway import address_of, served
from testkit.helpers import offsets, start_incident
from testkit.polling import wait_until


def dms(slack, slack_id: str) -> list[str]:
    channel = slack.channels.get(f"D{slack_id}")
    return [m["text"] for m in channel.messages] if channel else []


async def test_dm_then_sms_then_voice_then_the_secondary_and_an_sms_reply_stops_it(
        time_env, task_queue, tmp_path, slack, twilio):
    policy_dir = edited_policy(tmp_path / "policy", with_notification_rules())
    people = load_policy(policy_dir).oncall.people
    minsu, jiyoung = people["minsu"], people["jiyoung"]
    settings = twilio_settings(twilio, policy_dir)
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, slack, **settings, notify="record,voice")):
        with served(address_of(client), task_queue, data_dir=tmp_path, **settings) as gateway:
            handle = await start_incident(client, task_queue, Severity.SEV1, policy_dir=str(policy_dir))
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: dms(slack, minsu.slack_id), "the DM to minsu")
            at_once = (len(twilio.messages), len(twilio.calls))

            await time_env.sleep(timedelta(minutes=2))
            await wait_until(lambda: twilio.messages, "the SMS to minsu")
            at_two = (len(twilio.messages), len(twilio.calls))

            await time_env.sleep(timedelta(minutes=3))
            await wait_until(lambda: twilio.calls and dms(slack, jiyoung.slack_id), "the call and the secondary's DM")
            at_five = await snapshot(client, incident_id)

            await time_env.sleep(timedelta(minutes=1))
            reply = await sms_reply(gateway, minsu.phone, "1")
            state = await wait_until(lambda: _acknowledged(client, incident_id), "the acknowledgement")
            await time_env.sleep(timedelta(minutes=10))  # jiyoung's SMS (7 m) and call (10 m) are not sent
            final = await snapshot(client, incident_id)
            await handle.terminate("test over")

    assert at_once == (0, 0) and at_two == (1, 0)
    assert dms(slack, minsu.slack_id)[0].startswith("📟 You are paged (primary) for [SEV1] payments")
    assert dms(slack, jiyoung.slack_id)[0].startswith("📟 You are paged (secondary) for [SEV1] payments")
    assert [(m["To"], m["Body"].endswith("Reply 1 or ack to acknowledge")) for m in twilio.messages] == [
        (minsu.phone, True)]
    assert [c["To"] for c in twilio.calls] == [minsu.phone]
    assert offsets(at_five.pages, at_five.detected_at) == [("primary", 0), ("secondary", 300)]
    primary = at_five.pages[0]
    assert [(s.via, s.channels, round((s.at - at_five.detected_at).total_seconds())) for s in primary.steps] == [
        (["slack"], ["slack"], 0), (["sms"], ["sms"], 120), (["voice"], ["voice"], 300)]
    assert f"<Message>Acknowledged {incident_id} as minsu.</Message>" in reply.text
    assert state.acknowledged_by == "minsu"
    assert [s.step for s in final.pages[1].steps] == [0]  # the secondary's chain stopped at the DM
    assert [e.text for e in final.timeline if e.text.startswith("notified ")][-1] == \
        "notified jiyoung by slack (step 1 of 3)"


async def _acknowledged(client, incident_id):
    state = await snapshot(client, incident_id)
    return state if state and state.acknowledged_by else None


async def test_an_sms_twilio_refuses_falls_over_to_the_call_at_once(time_env, task_queue, tmp_path, slack, twilio):
    policy_dir = edited_policy(tmp_path / "policy", with_notification_rules())
    minsu = load_policy(policy_dir).oncall.people["minsu"]
    settings = twilio_settings(twilio, policy_dir)
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, slack, **settings, notify="record,voice")):
        handle = await start_incident(client, task_queue, Severity.SEV1, policy_dir=str(policy_dir))
        incident_id = handle.id.removeprefix("incident-")
        await wait_until(lambda: dms(slack, minsu.slack_id), "the DM to minsu")
        twilio.fail_next(400, 21211)  # the SMS: "not a valid phone number", for good
        await time_env.sleep(timedelta(minutes=2))
        await wait_until(lambda: twilio.calls, "the call")
        state = await snapshot(client, incident_id)
        await handle.terminate("test over")
    assert twilio.messages == [] and [c["To"] for c in twilio.calls] == [minsu.phone]
    assert [(s.via, s.channels, round((s.at - state.detected_at).total_seconds())) for s in state.pages[0].steps] == [
        (["slack"], ["slack"], 0), (["sms"], [], 120), (["voice"], ["voice"], 120)]
    [refused] = [e.text for e in state.timeline if e.text.startswith("sms to minsu refused")]
    assert "Twilio refused sms page" in refused and "HTTP 400 error 21211" in refused
    assert refused.endswith(", falling over to voice")
