"""Seed 000's declaration: "/invite @game-sre-oncall @game-ops-lead @game-dev-lead" — the members of the policy's
Slack user groups join every new incident channel; a group Slack does not know is said in the room; and a public
incident tells the customer-support lead, who is brought into the room (the real slack-sdk against the fake Slack
Web API, a real time-skipping Temporal server)."""

from domain.incident.severity import Severity
from testkit.comms import comms_settings, comms_worker, header_of, snapshot
from testkit.helpers import start_incident
from testkit.polling import wait_until

SRE_ONCALL = ["U01MINSU", "U02JIYOUNG", "U03HYUNWOO", "U04SEOYEON"]


async def _open_room(time_env, task_queue, tmp_path, slack, severity=Severity.SEV2, until=lambda replies: True):
    """Declare, wait for the header and for the thread replies `until` waits for; the channel, replies, state."""
    async with comms_worker(time_env.client, task_queue, comms_settings(tmp_path, slack)):
        handle = await start_incident(time_env.client, task_queue, severity, title="친구 목록 로딩 실패",
                                      service="friends")
        incident_id = handle.id.removeprefix("incident-")
        channel, header = await wait_until(lambda: header_of(slack, incident_id), "the header message")
        replies = await wait_until(
            lambda: (texts := [r["text"] for r in slack.replies(channel, header["ts"])]) and until(texts) and texts,
            "the thread replies")
        state = await wait_until(lambda: _with_room(time_env.client, incident_id), "the room in the state")
        await handle.terminate("test over")
    return channel, replies, state


async def _with_room(client, incident_id):
    state = await snapshot(client, incident_id)
    return state if state and state.room else None


def _says(fragment: str):
    return lambda replies: any(fragment in r for r in replies)


async def test_the_policys_user_groups_are_invited_and_an_unknown_one_is_said_in_the_room(
        time_env, task_queue, tmp_path, slack):
    slack.usergroups = {"game-sre-oncall": SRE_ONCALL, "game-ops-lead": ["U07OPSLEAD"], "other-team": ["U99OTHER"]}
    channel, replies, _ = await _open_room(time_env, task_queue, tmp_path, slack, until=_says("Could not invite"))
    assert set(SRE_ONCALL) | {"U07OPSLEAD"} <= channel.members
    assert "U99OTHER" not in channel.members  # only the groups the policy names
    assert any(r.startswith("⚠️ Could not invite @game-dev-lead: no such Slack user group") for r in replies)


async def test_without_the_usergroups_scope_the_people_are_still_invited_and_the_room_is_told(
        time_env, task_queue, tmp_path, slack):
    slack.refusals["usergroups.list"] = "missing_scope"
    channel, replies, state = await _open_room(time_env, task_queue, tmp_path, slack, until=_says("Could not invite"))
    assert channel.members  # the on-call people and the declarer, as before
    assert any("Could not invite @game-sre-oncall @game-ops-lead @game-dev-lead: Slack user groups cannot be read "
               "(missing_scope)" in r for r in replies)
    assert state.room.channel == channel.id


async def test_a_public_incident_tells_the_customer_support_lead_in_the_room(time_env, task_queue, tmp_path, slack):
    channel, replies, state = await _open_room(time_env, task_queue, tmp_path, slack, Severity.SEV1,
                                               until=_says("<@U09CSLEAD>"))
    assert [(n.to, n.why) for n in state.notifications] == [
        ("customer-support-lead", "sev1 is public (status page): the policy tells Customer Support Lead "
                                  "(@customer-support-lead) at once")]
    told = [r for r in replies if "<@U09CSLEAD>" in r]
    assert len(told) == 1 and "It is public: the status page shows it" in told[0]
    assert "U09CSLEAD" in channel.members
    assert next(c for c in state.checklist if c.item == "stakeholders-notified").done
