"""Runbook approvals from Slack: a step waiting for approval posts Approve / Reject buttons naming it in the
incident's thread; a signed Approve click lets the step run against the fake game-ops admin API; Reject asks
for a reason in a modal (views.open → view_submission) and aborts the run with that reason. Approving and
rejecting need commander rights: a commander of the policy (sre-lead, cto) or the incident's IC. Real gateway,
real slack-sdk, real Temporal (time-skipping), fakes on loopback."""

import json

import pytest

from activities.remediation import RemediationActivities
from adapters.channels.slack import channel_name
from testkit.comms import SIGNING_SECRET, button_body, comms_settings, comms_worker, signed, view_submission_body
from testkit.fakes.slack_api import TOKEN, FakeSlack
from testkit.gateway import address_of, served
from testkit.polling import wait_until
from testkit.runbooks import (
    gate_state,
    open_alert_incident,
    run_status,
    runbook_texts,
    served_fakes,
    terminate_all,
    wait_for_state,
)

GAME_DOWN = {"alertname": "GameServerFleetDown", "service": "game-servers", "severity": "critical"}
LEADERBOARD = {"alertname": "LeaderboardErrors", "service": "leaderboard", "severity": "warning"}


@pytest.fixture
def fakes():
    with served_fakes() as served:
        yield served


def approval_message(slack: FakeSlack, incident_id: str, step: str) -> dict | None:
    channel = slack.channel_named(channel_name("inc", incident_id))
    for message in channel.messages if channel else []:
        for block in message.get("blocks") or []:
            if block["type"] == "actions" and any(e["action_id"] == "approve_step" and json.loads(e["value"])["step"]
                                                  == step for e in block["elements"]):
                return message
    return None


def buttons(message: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


async def post(gateway, body: str) -> tuple[int, str]:
    async with gateway.http(token=None) as http:
        answer = await http.post("/slack/interactions", content=body, headers=signed(body))
    return answer.status_code, answer.text


async def test_waiting_step_posts_approve_reject_buttons_and_a_signed_approve_runs_it(
        time_env, task_queue, tmp_path, slack, fakes):
    fakes.ops.service("game-servers").healthy = False
    fakes.prometheus.rules["game_players_connected"] = [0]
    settings = comms_settings(tmp_path, slack)
    client = time_env.client
    async with comms_worker(client, task_queue, settings, remediation=RemediationActivities(fakes.endpoints)):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET) as gw:
            try:
                handle = await open_alert_incident(client, task_queue, GAME_DOWN, service="game-servers")
                incident_id = handle.id.removeprefix("incident-")
                await wait_for_state(handle,
                                     lambda s: gate_state(s, "game-server-fleet-down", "restart-fleet") == "waiting",
                                     "restart-fleet to wait for approval")
                message = await wait_until(lambda: approval_message(slack, incident_id, "restart-fleet"),
                                           "the approval message in Slack")
                assert fakes.ops.effects == []  # nothing changed before the click

                approve = buttons(message)["approve_step"]
                # minsu is a responder and not the IC: his press is refused and runs nothing
                status, by_responder = await post(gw, button_body("approve_step", approve["value"], "U01MINSU"))
                assert status == 200 and json.loads(by_responder)["delivered"] == [], by_responder
                status, text = await post(gw, button_body("approve_step", approve["value"], "U05SRELEAD"))
                assert status == 200, text
                state = await wait_for_state(handle, lambda s: run_status(s, "game-server-fleet-down") not in
                                       (None, "running"), "the runbook to finish")
            finally:
                await terminate_all(client, task_queue)

    channel = slack.channel_named(channel_name("inc", incident_id))
    header = slack.headers(channel)[0]
    assert message["thread_ts"] == header["ts"], "the approval request is a reply in the incident's thread"
    assert "restart-fleet waits for approval" in message["text"]
    assert {k: (b["text"]["text"], json.loads(b["value"])) for k, b in buttons(message).items()} == {
        "approve_step": ("Approve restart-fleet",
                         {"incident": incident_id, "runbook": "game-server-fleet-down", "step": "restart-fleet"}),
        "reject_step": ("Reject restart-fleet",
                        {"incident": incident_id, "runbook": "game-server-fleet-down", "step": "restart-fleet"}),
    }
    assert len([m for m in channel.messages if approval_message(slack, incident_id, "restart-fleet") is m]) == 1
    # the click approved the step as the roster person behind the Slack user, and the step ran once
    assert run_status(state, "game-server-fleet-down") == "succeeded"
    assert [(e["method"], e["path"]) for e in fakes.ops.effects] == [("POST", "/services/game-servers/restart")]
    assert json.loads(by_responder)["refused"] == ["Not allowed: minsu is a responder: approve step needs commander. "
                                                   "The incident's IC has commander rights in it."]
    decisions = [(e.actor, e.text) for e in state.timeline if e.kind == "decision"]
    assert not [e for e in state.timeline if e.actor == "minsu"]
    assert ("sre-lead", "sre-lead approved step restart-fleet of runbook game-server-fleet-down") in decisions
    assert any("runbook game-server-fleet-down succeeded" in t for t in runbook_texts(state))
    replies = [r["text"] for r in slack.replies(channel, header["ts"])]
    assert any("sre-lead approved step restart-fleet" in t for t in replies), replies


async def test_reject_opens_a_reason_modal_and_the_submitted_reason_aborts_the_run(
        time_env, task_queue, tmp_path, slack, fakes):
    settings = comms_settings(tmp_path, slack)
    client = time_env.client
    async with comms_worker(client, task_queue, settings, remediation=RemediationActivities(fakes.endpoints)):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET,
                    slack_bot_token=TOKEN, slack_api_url=slack.api_url) as gw:
            try:
                handle = await open_alert_incident(client, task_queue, LEADERBOARD, service="leaderboard")
                incident_id = handle.id.removeprefix("incident-")
                message = await wait_until(lambda: approval_message(slack, incident_id, "flush-cache"),
                                           "the approval message in Slack", timeout=60)
                reject = buttons(message)["reject_step"]
                # a responder may not reject a step: jiyoung takes IC first, which gives her commander rights here
                assert (await post(gw, button_body("ic", incident_id, "U02JIYOUNG")))[0] == 200
                await wait_for_state(handle, lambda s: s.roles.ic == "jiyoung", "jiyoung to be IC")
                status, text = await post(gw, button_body("reject_step", reject["value"], "U02JIYOUNG"))
                assert status == 200, text
                assert len(slack.views) == 1
                modal = slack.views[0]
                # an empty reason is refused inside the modal; nothing is decided
                status, empty = await post(gw, view_submission_body(modal["private_metadata"], "  ", "U02JIYOUNG"))
                state = await wait_for_state(handle, lambda s: True, "a snapshot")
                assert gate_state(state, "leaderboard-errors", "flush-cache") == "waiting"
                reason = "캐시 비우면 랭킹 재계산 부하 — DB 먼저 확인"
                status, submitted = await post(gw, view_submission_body(modal["private_metadata"], reason,
                                                                         "U02JIYOUNG"))
                state = await wait_for_state(handle,
                                             lambda s: run_status(s, "leaderboard-errors") not in (None, "running"),
                                             "the run to abort")
            finally:
                await terminate_all(client, task_queue)

    assert modal["callback_id"] == "reject_step" and modal["trigger_id"] == "1.2.3"
    assert json.loads(modal["private_metadata"]) == {"incident": incident_id, "runbook": "leaderboard-errors",
                                                     "step": "flush-cache"}
    assert any(b.get("block_id") == "reason" and b["type"] == "input" for b in modal["blocks"])
    assert json.loads(empty) == {"response_action": "errors",
                                 "errors": {"reason": "Please say why the step is rejected."}}
    assert status == 200 and submitted == "", "an empty 200 closes the modal"
    assert run_status(state, "leaderboard-errors") == "aborted"
    assert not any(e["path"].startswith("/caches/") for e in fakes.ops.effects)
    rejected = [e for e in state.timeline if e.kind == "decision" and "rejected step flush-cache" in e.text]
    assert len(rejected) == 1 and rejected[0].actor == "jiyoung" and reason in rejected[0].text, rejected


async def test_reject_without_a_gateway_slack_token_rejects_naming_the_clicker(
        time_env, task_queue, tmp_path, slack, fakes):
    settings = comms_settings(tmp_path, slack)
    client = time_env.client
    async with comms_worker(client, task_queue, settings, remediation=RemediationActivities(fakes.endpoints)):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET) as gw:
            try:
                handle = await open_alert_incident(client, task_queue, LEADERBOARD, service="leaderboard")
                incident_id = handle.id.removeprefix("incident-")
                message = await wait_until(lambda: approval_message(slack, incident_id, "flush-cache"),
                                           "the approval message in Slack", timeout=60)
                tampered = json.dumps({"incident": incident_id, "runbook": "leaderboard-errors", "step": "x; rm -rf"})
                bad_status, bad = await post(gw, button_body("reject_step", tampered, "U06CTO"))
                status, text = await post(gw, button_body("reject_step", buttons(message)["reject_step"]["value"],
                                                          "U06CTO"))
                state = await wait_for_state(handle,
                                             lambda s: run_status(s, "leaderboard-errors") not in (None, "running"),
                                             "the run to abort")
            finally:
                await terminate_all(client, task_queue)

    assert bad_status == 400 and "step" in bad, bad
    assert status == 200, text
    assert slack.views == []
    assert run_status(state, "leaderboard-errors") == "aborted"
    rejected = [e.text for e in state.timeline if e.kind == "decision" and "rejected step flush-cache" in e.text]
    assert len(rejected) == 1 and "rejected in Slack by cto" in rejected[0], rejected
