"""The `/incident` slash command end to end: signed requests to the real gateway (uvicorn on loopback) change
the real workflow (time-skipping server); the worker's Slack channel (fake Slack Web API on loopback) opens
the room for a declared incident. Wrong channel, unknown subcommand, a refused decision and bad input get a
clear ephemeral answer and change nothing."""

import re

from adapters.channels.slack import channel_name
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from testkit.comms import SIGNING_SECRET, comms_settings, comms_worker, slash, snapshot
from testkit.gateway import address_of, served
from testkit.polling import wait_until


async def test_declare_then_run_the_incident_with_slash_commands_in_its_channel(time_env, task_queue, tmp_path, slack):
    settings = comms_settings(tmp_path, slack)
    client = time_env.client
    async with comms_worker(client, task_queue, settings):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET) as gw:
            declared = await slash(gw, "declare sev1 matchmaking 매칭 대기열 멈춤 (queue stuck)", "U04SEOYEON",
                                   "general")
            incident_id = re.search(r"incident `([^`]+)`", declared["text"]).group(1)
            room = channel_name("inc", incident_id)
            state = await wait_until(lambda: _state_where(client, incident_id, lambda s: s.room), "the incident room")
            assert (state.severity, state.service, state.title, state.declared_by) == (
                Severity.SEV1, "matchmaking", "매칭 대기열 멈춤 (queue stuck)", "seoyeon")

            ack = await slash(gw, "ack", "U01MINSU", room)
            ic = await slash(gw, "ic", "U02JIYOUNG", room)
            sev = await slash(gw, "sev sev0", "U02JIYOUNG", room)
            mitigated = await slash(gw, "mitigated", "U02JIYOUNG", room)
            resolved = await slash(gw, "resolve 매칭 서버 재시작으로 복구", "U02JIYOUNG", room)
            state = await snapshot(client, incident_id)
            after = await slash(gw, "ack", "U01MINSU", room)
            await client.get_workflow_handle(f"incident-{incident_id}").terminate("test over")

    assert declared["response_type"] == "in_channel"
    assert declared["text"].startswith(f"🚨 SEV1 incident `{incident_id}` declared by seoyeon: 매칭 대기열 멈춤")
    assert f"#inc-{incident_id}" in declared["text"]
    assert slack.channel_named(room) is not None and len(slack.headers(slack.channel_named(room))) == 1
    for answer in (ack, ic, sev, mitigated, resolved):
        assert answer["response_type"] == "in_channel", answer
    assert ack["text"] == "minsu acknowledged (phase: triaged)"
    assert ic["text"].startswith("jiyoung is now ic — Incident Commander (IC). Your duties:\n• 인시던트 상황 파악")
    assert "sev0" in sev["text"].lower()
    assert mitigated["text"].endswith("(phase: mitigated)")
    assert resolved["text"].endswith("(phase: resolved)") or resolved["text"].endswith("(phase: postmortem)")
    assert state.acknowledged_by == "minsu" and state.roles.ic == "jiyoung" and state.severity == Severity.SEV0
    assert state.phase in (Phase.RESOLVED, Phase.POSTMORTEM)
    assert any("매칭 서버 재시작으로 복구" in e.text for e in state.timeline if e.kind == "decision")
    # a decision the incident refuses is answered privately with the reason
    assert after["response_type"] == "ephemeral" and after["text"].startswith("refused: "), after


async def test_wrong_channel_unknown_subcommand_and_bad_input_get_ephemeral_answers_and_change_nothing(
        time_env, task_queue, tmp_path, slack):
    from testkit.helpers import start_incident

    settings = comms_settings(tmp_path, slack)
    client = time_env.client
    async with comms_worker(client, task_queue, settings):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV2)
            incident_id = handle.id.removeprefix("incident-")
            room = channel_name("inc", incident_id)
            await wait_until(lambda: _state_where(client, incident_id, lambda s: s.room), "the incident room")
            answers = {
                "wrong channel": await slash(gw, "ack", "U01MINSU", "general"),
                "unknown subcommand": await slash(gw, "frobnicate now", "U01MINSU", room),
                "bad severity": await slash(gw, "sev sev9", "U01MINSU", room),
                "bad status": await slash(gw, "status fixed all good", "U01MINSU", room),
                "empty": await slash(gw, "", "U01MINSU", room),
                "declare too short": await slash(gw, "declare sev1 payments", "U01MINSU", "general"),
                "declare bad severity": await slash(gw, "declare p1 payments it broke", "U01MINSU", "general"),
                "declare title too long": await slash(gw, "declare sev1 payments " + "t" * 5000, "U01MINSU",
                                                      "general"),
                "not running": await slash(gw, "ack", "U01MINSU", "inc-20200101-nothing-0000"),
            }
            state = await snapshot(client, incident_id)
            await handle.terminate("test over")

    for what, answer in answers.items():
        assert answer["response_type"] == "ephemeral", (what, answer)
    assert "works in an incident channel (#inc-…)" in answers["wrong channel"]["text"]
    assert answers["unknown subcommand"]["text"].startswith("cannot read `frobnicate now`. Usage: ")
    assert "sev9" in answers["bad severity"]["text"]
    assert answers["bad status"]["text"].startswith("unknown status 'fixed'")
    assert answers["empty"]["text"].startswith("Usage: `/incident declare <sev0-3> <service> <title>`")
    assert answers["declare too short"]["text"].startswith("declare needs a severity, a service and a title")
    assert "p1" in answers["declare bad severity"]["text"]
    assert answers["declare title too long"]["text"].startswith(
        "not declared: title: String should have at most 300 characters")
    assert answers["not running"]["text"] == "incident 20200101-nothing-0000 is not running"
    assert state.acknowledged_by is None and state.phase == Phase.DETECTED and state.severity == Severity.SEV2
    assert not [e for e in state.timeline if e.kind in ("decision", "rejected")]
    assert len(slack.calls_of("conversations.create")) == 1  # no incident was declared by the bad requests


async def _state_where(client, incident_id, predicate):
    state = await snapshot(client, incident_id)
    return state if state and predicate(state) else None
