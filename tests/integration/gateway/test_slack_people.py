"""Slack users are people of the policy (docs/security.md, "Slack users"): signed button presses, slash commands
and modal submissions through the real gateway (uvicorn on loopback) into a real Temporal (time-skipping), the
real slack-sdk asking the fake Slack Web API (`users.info`) for the people the policy knows only by email.
Decisions name the person; a Slack user who is nobody there may only read, unless the policy says otherwise;
the IC commands the incident, other responders may not close it or set its severity; every allowed or refused
press is in the audit log."""

import asyncio
import json

import httpx

from adapters.channels.slack import channel_name
from adapters.stores.ledger import open_ledger
from adapters.stores.ledger_engine import default_url
from domain.identity.principal import Source
from domain.incident.severity import Severity
from service.audit import entries
from testkit.comms import (
    SIGNING_SECRET,
    button_body,
    comms_settings,
    comms_worker,
    edited_policy,
    signed,
    slash,
    snapshot,
    view_submission_body,
)
from testkit.fakes.slack_api import TOKEN
from testkit.gateway import address_of, served
from testkit.helpers import start_incident
from testkit.polling import wait_until

UNMAPPED = ("You are not one of the people in the on-call policy, so you can read incidents here but not declare or "
            "decide. Ask an admin to add your Slack ID (U99EVIL) to policies/oncall-escalation-policy.yaml.")


async def press(gateway, action: str, value: str, user: str, response_url: str | None = None) -> dict:
    body = button_body(action, value, user, response_url)
    async with gateway.http(token=None) as http:
        answer: httpx.Response = await http.post("/slack/interactions", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    return answer.json()




def gateway_for(client, task_queue, tmp_path, slack, policy_dir=None):
    overrides = {"policy_dir": policy_dir} if policy_dir else {}
    return served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET,
                  slack_bot_token=TOKEN, slack_api_url=slack.api_url, **overrides)


def ledger_of(gateway):
    return open_ledger(gateway.settings.database_url or default_url(gateway.settings.data_dir))


def audit_log(gateway) -> list[tuple]:
    """(actor, action, allowed, reason) of the gateway's Slack audit entries, oldest first."""
    found = entries(ledger_of(gateway), source=Source.SLACK)
    return [(e.actor, e.action, e.allowed, e.reason) for e in reversed(found)]


async def state_where(client, incident_id, predicate):
    state = await snapshot(client, incident_id)
    return state if state and predicate(state) else None


async def test_a_press_acts_as_the_person_behind_the_slack_user_found_by_slack_id_or_by_profile_email(
        time_env, task_queue, tmp_path, slack):
    policy_dir = edited_policy(tmp_path / "policy", lambda oncall: oncall["people"]["seoyeon"].pop("slack_id"))
    slack.users["U77SEOYEON"] = {"email": "SeoYeon@GAME.example", "real_name": "Choi Seoyeon"}
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, slack)):
        with gateway_for(client, task_queue, tmp_path, slack, policy_dir) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV2)
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: state_where(client, incident_id, lambda s: s.room), "the incident room")
            ack = await press(gw, "acknowledge", incident_id, "U01MINSU")
            await wait_until(lambda: state_where(client, incident_id, lambda s: s.acknowledged_by), "the ack")
            # seoyeon is known only by email: two presses in a row, one users.info
            ic, mitigated = await asyncio.gather(press(gw, "ic", incident_id, "U77SEOYEON"),
                                                 press(gw, "mitigated", incident_id, "U77SEOYEON"))
            state = await wait_until(lambda: state_where(client, incident_id, lambda s: s.roles.ic), "the IC")
            await handle.terminate("test over")

    assert ack == {"ok": True, "delivered": ["acknowledge"], "refused": []}
    assert ic["delivered"] == ["ic"] and mitigated["delivered"] == ["mitigated"]
    assert state.acknowledged_by == "minsu" and state.roles.ic == "seoyeon"
    decisions = [(e.actor, e.text) for e in state.timeline if e.kind == "decision"]
    assert ("minsu", "minsu acknowledged") in decisions
    assert any(actor == "seoyeon" and text.startswith("seoyeon is now ic") for actor, text in decisions), decisions
    assert [c.args["user"] for c in slack.calls_of("users.info")] == ["U77SEOYEON"]
    assert sorted(audit_log(gw)) == [("minsu", "acknowledge", True, None),
                                           ("seoyeon", "assign_role", True, None),
                                           ("seoyeon", "mark_mitigated", True, None)]
    logged = entries(ledger_of(gw), actor="minsu")
    assert [(e.incident, e.principal.value, e.source.value) for e in logged] == [(incident_id, "person", "slack")]


async def test_a_slack_user_who_is_nobody_in_the_policy_cannot_take_ic_declare_or_decide_and_is_told_why(
        time_env, task_queue, tmp_path, slack):
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, slack)):
        with gateway_for(client, task_queue, tmp_path, slack) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV2)
            incident_id = handle.id.removeprefix("incident-")
            room = channel_name("inc", incident_id)
            await wait_until(lambda: state_where(client, incident_id, lambda s: s.room), "the incident room")
            take_ic = await press(gw, "ic", incident_id, "U99EVIL", slack.response_url("evil-ic"))
            declare = await slash(gw, "declare sev0 payments everything is down", "U99EVIL", "general")
            ack = await slash(gw, "ack", "U99EVIL", room)
            step = json.dumps({"incident": incident_id, "runbook": "leaderboard-errors", "step": "flush-cache"})
            body = view_submission_body(step, "because I say so", "U99EVIL")
            async with gw.http(token=None) as http:
                modal = (await http.post("/slack/interactions", content=body, headers=signed(body))).json()
            told = await wait_until(lambda: slack.responses, "the ephemeral reply to the press")
            state = await snapshot(client, incident_id)
            await handle.terminate("test over")

    assert take_ic == {"ok": True, "delivered": [], "refused": [UNMAPPED]}
    assert told == [{"key": "evil-ic", "text": UNMAPPED, "response_type": "ephemeral", "replace_original": False}]
    assert declare == ack == {"response_type": "ephemeral", "text": UNMAPPED}
    assert modal == {"response_action": "errors", "errors": {"reason": UNMAPPED}}
    # nothing changed: no IC, no acknowledgement, nothing in the timeline, no second incident
    assert state.roles.ic is None and state.acknowledged_by is None
    assert not [e for e in state.timeline if e.kind in ("decision", "rejected")]
    assert len(slack.calls_of("conversations.create")) == 1
    assert [c.args["user"] for c in slack.calls_of("users.info", ok_only=False)] == ["U99EVIL"]  # asked once
    why = "Slack user U99EVIL is not one of the people in the on-call policy"
    assert audit_log(gw) == [("slack:U99EVIL", action, False, why)
                                   for action in ("assign_role", "declare", "acknowledge", "reject_step")]


async def test_a_responder_who_is_not_the_ic_cannot_close_or_set_severity_and_the_ic_can(
        time_env, task_queue, tmp_path, slack):
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, slack)):
        with gateway_for(client, task_queue, tmp_path, slack) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV2)
            incident_id = handle.id.removeprefix("incident-")
            room = channel_name("inc", incident_id)
            await wait_until(lambda: state_where(client, incident_id, lambda s: s.room), "the incident room")
            assert (await slash(gw, "ic", "U02JIYOUNG", room))["response_type"] == "in_channel"
            close = await slash(gw, "close", "U01MINSU", room)
            severity = await slash(gw, "sev sev0", "U01MINSU", room)
            by_the_ic = await slash(gw, "sev sev1", "U02JIYOUNG", room)
            state = await snapshot(client, incident_id)
            await handle.terminate("test over")

    hint = " The incident's IC has commander rights in it."
    assert close == {"response_type": "ephemeral",
                     "text": "Not allowed: minsu is a responder: close needs commander." + hint}
    assert severity == {"response_type": "ephemeral",
                        "text": "Not allowed: minsu is a responder: set severity needs commander." + hint}
    assert by_the_ic["response_type"] == "in_channel", by_the_ic
    assert state.roles.ic == "jiyoung" and state.severity == Severity.SEV1
    assert [e.actor for e in state.timeline if e.kind in ("decision", "rejected")] == ["jiyoung", "jiyoung"]
    assert audit_log(gw) == [
        ("jiyoung", "assign_role", True, None),
        ("minsu", "close", False, "minsu is a responder: close needs commander"),
        ("minsu", "set_severity", False, "minsu is a responder: set severity needs commander"),
        ("jiyoung", "set_severity", True, None),
    ]


async def test_a_policy_that_lets_unmapped_users_respond_lets_them_acknowledge_as_their_slack_id(
        time_env, task_queue, tmp_path, slack):
    policy_dir = edited_policy(tmp_path / "policy",
                               lambda oncall: oncall["access"].update(unmapped_slack_users="responder"))
    client = time_env.client
    async with comms_worker(client, task_queue, comms_settings(tmp_path, slack)):
        with gateway_for(client, task_queue, tmp_path, slack, policy_dir) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV2)
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: state_where(client, incident_id, lambda s: s.room), "the incident room")
            ack = await press(gw, "acknowledge", incident_id, "U99GUEST")
            state = await wait_until(lambda: state_where(client, incident_id, lambda s: s.acknowledged_by),
                                     "the guest's acknowledgement")
            await handle.terminate("test over")

    assert ack["delivered"] == ["acknowledge"]
    assert state.acknowledged_by == "slack:U99GUEST"
    assert audit_log(gw) == [("slack:U99GUEST", "acknowledge", True, None)]
