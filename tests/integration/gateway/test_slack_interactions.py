"""A whole incident run from Slack alone: signed button clicks and slash commands through the real gateway
(uvicorn on loopback) into a real Temporal server, with the fake Slack and fake PagerDuty recording what
went out and the status page following. Forged, stale and replayed requests are refused with 401."""

import re
import time

import httpx

from adapters.channels.slack import channel_name
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from testkit.comms import SIGNING_SECRET, button_body, command_body, comms_settings, comms_worker, signed, snapshot
from testkit.environment import PROJECT
from testkit.gateway import address_of, served
from testkit.helpers import start_incident
from testkit.polling import wait_until

TRANSCRIPT = PROJECT / ".incidentflow" / "slack-transcript.txt"


async def click(gateway, action: str, incident_id: str, user: str) -> httpx.Response:
    body = button_body(action, incident_id, user)
    async with gateway.http(token=None) as http:
        return await http.post("/slack/interactions", content=body, headers=signed(body))


async def command(gateway, text: str, user: str, incident_id: str) -> httpx.Response:
    body = command_body(text, user, channel_name("inc", incident_id))
    async with gateway.http(token=None) as http:
        return await http.post("/slack/commands", content=body, headers=signed(body))


async def status_json(gateway) -> dict:
    async with gateway.http(token=None) as http:
        return (await http.get("/status.json")).json()


def incident_on_page(doc: dict, incident_id: str) -> dict | None:
    return next((i for i in doc["incidents"] if i["id"] == incident_id), None)


async def test_whole_incident_from_slack_buttons_pages_once_and_status_page_follows(
        time_env, task_queue, tmp_path, slack, pagerduty):
    settings = comms_settings(tmp_path, slack, pagerduty)
    pagerduty.fail_next(500)  # the first trigger fails outright
    pagerduty.fail_next(500, after_effect=True)  # the second is processed but the answer is lost
    client = time_env.client
    async with comms_worker(client, task_queue, settings):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV1, service="payments",
                                          title="결제 실패 급증 — payment errors", declared_by="seoyeon")
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: _room(client, incident_id), "the incident room")
            page = await wait_until(lambda: _on_page(gw, incident_id), "the incident on the status page")
            assert page["status"] == "investigating" and page["impact"] == "partial_outage"

            # Kim Minsu acknowledges, Lee Jiyoung takes IC, all from buttons
            assert (await click(gw, "acknowledge", incident_id, "U01MINSU")).status_code == 200
            assert (await click(gw, "ic", incident_id, "U02JIYOUNG")).status_code == 200
            state = await wait_until(lambda: _state_where(client, incident_id, lambda s: s.roles.ic), "IC assigned")
            assert state.acknowledged_by == "minsu" and state.roles.ic == "jiyoung"
            assert state.phase == Phase.TRIAGED

            # the Comms Lead posts an external update with the slash command
            answer = await command(gw, "status identified 원인 파악: 결제 DB 커넥션 풀 고갈", "U02JIYOUNG", incident_id)
            assert answer.json()["response_type"] == "in_channel", answer.text
            page = await wait_until(lambda: _on_page(gw, incident_id, "identified"), "the identified update")
            assert page["updates"][0]["message"] == "원인 파악: 결제 DB 커넥션 풀 고갈"
            assert page["next_update_by"] is not None

            assert (await click(gw, "mitigated", incident_id, "U02JIYOUNG")).status_code == 200
            page = await wait_until(lambda: _on_page(gw, incident_id, "monitoring"), "monitoring on the page")
            assert page["impact"] == "degraded_performance"

            assert (await click(gw, "resolve", incident_id, "U02JIYOUNG")).status_code == 200
            page = await wait_until(lambda: _on_page(gw, incident_id, "resolved"), "resolved on the page")
            doc = await status_json(gw)
            assert {c["name"]: c["status"] for c in doc["components"]}["payments"] == "operational"
            assert page["next_update_by"] is None
            await wait_until(lambda: pagerduty.accepted("resolve"), "PagerDuty resolve")
            channel = slack.channel_named(channel_name("inc", incident_id))
            header = slack.headers(channel)[0]
            await wait_until(lambda: re.search(r"Phase: (resolved|postmortem)", header["text"]),
                             "the header to show the incident resolved")
            # the page's thread reply follows its activity, which PagerDuty's two failures kept retrying
            await wait_until(lambda: any("paged primary" in r["text"] for r in slack.replies(channel, header["ts"])),
                             "the primary page in the thread")
            state = await snapshot(client, incident_id)
            await handle.terminate("test over")

    # Slack: one channel, one header edited in place, the whole story in its thread
    assert len(slack.headers(channel)) == 1 and len(slack.calls_of("conversations.create")) == 1
    assert {(c.args["channel"], c.args["ts"]) for c in slack.calls_of("chat.update")} == {(channel.id, header["ts"])}
    assert not any(b["type"] == "actions" for b in header["blocks"]), "a resolved incident has no buttons"
    thread = [r["text"] for r in slack.replies(channel, header["ts"])]
    for expected in ("paged primary", "minsu acknowledged", "jiyoung is now ic", "update (identified)",
                     "marked the incident mitigated", "resolved the incident"):
        assert any(expected in t for t in thread), f"{expected!r} missing from the thread: {thread}"
    given_ic = next(t for t in thread if "jiyoung is now ic" in t)  # jiyoung mentioned, with the IC's duties
    assert given_ic.startswith("✅ <@U02JIYOUNG> jiyoung is now ic") and "• 대응팀 구성 및 역할 분담" in given_ic
    # PagerDuty: one alert per tier paged, acknowledged and resolved once each, despite two failed answers
    paged_tiers = {p.tier.value for p in state.pages}
    assert set(pagerduty.alerts()) == {f"{incident_id}/{t}" for t in paged_tiers}
    for key, actions in pagerduty.alerts().items():
        assert actions.count("acknowledge") == 1 and actions.count("resolve") == 1, (key, actions)
        assert actions[-1] == "resolve"
    assert len([e for e in pagerduty.events if e.body["event_action"] == "trigger"]) >= 3  # retried
    assert [a for a in pagerduty.alerts()[f"{incident_id}/primary"] if a == "trigger"] in (["trigger"],
                                                                                         ["trigger", "trigger"])
    # the decisions came from Slack users mapped to the roster
    by = [(e.actor, e.text) for e in state.timeline if e.kind == "decision"]
    assert ("minsu", "minsu acknowledged") in by
    TRANSCRIPT.parent.mkdir(exist_ok=True)
    TRANSCRIPT.write_text(slack.transcript() + "\n", encoding="utf-8")


async def test_forged_stale_and_replayed_requests_are_refused_and_change_nothing(
        time_env, task_queue, tmp_path, slack):
    settings = comms_settings(tmp_path, slack)
    client = time_env.client
    async with comms_worker(client, task_queue, settings):
        with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET) as gw:
            handle = await start_incident(client, task_queue, Severity.SEV2)
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: _room(client, incident_id), "the incident room")
            body = button_body("acknowledge", incident_id, "U01MINSU")
            async with gw.http(token=None) as http:
                wrong = await http.post("/slack/interactions", content=body, headers=signed(body, "not-the-secret"))
                stale = await http.post("/slack/interactions", content=body,
                                        headers=signed(body, timestamp=int(time.time()) - 6 * 60))
                tampered = body.replace("acknowledge", "resolve")
                swapped = await http.post("/slack/interactions", content=tampered, headers=signed(body))
                unsigned = await http.post("/slack/interactions", content=body,
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
                cmd = command_body("resolve", "U01MINSU", channel_name("inc", incident_id))
                wrong_cmd = await http.post("/slack/commands", content=cmd, headers=signed(cmd, "nope"))
                before = await snapshot(client, incident_id)
                headers = signed(body)
                first = await http.post("/slack/interactions", content=body, headers=headers)
                replay = await http.post("/slack/interactions", content=body, headers=headers)
            state = await wait_until(lambda: _state_where(client, incident_id, lambda s: s.acknowledged_by),
                                     "the genuine click")
            await handle.terminate("test over")

    for refused in (wrong, stale, swapped, unsigned, wrong_cmd, replay):
        assert refused.status_code == 401, refused.text
    assert "replayed" in replay.json()["detail"]
    assert first.status_code == 200
    assert before.acknowledged_by is None and before.phase == Phase.DETECTED
    decisions = [e.text for e in state.timeline if e.kind in ("decision", "rejected")]
    assert decisions == ["minsu acknowledged"], decisions  # the genuine click, once; nothing from the others


async def _room(client, incident_id):
    state = await snapshot(client, incident_id)
    return state if state and state.room else None


async def _state_where(client, incident_id, predicate):
    state = await snapshot(client, incident_id)
    return state if state and predicate(state) else None


async def _on_page(gateway, incident_id, status: str | None = None):
    found = incident_on_page(await status_json(gateway), incident_id)
    return found if found and (status is None or found["status"] == status) else None

