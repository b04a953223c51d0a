"""Inputs that used to leave an incident stuck forever (issue: "No page is ever missed"), each through the real
gateway over loopback into a real worker on the time-skipping server: afterwards the incident still answers,
still accepts a decision, and its state stays far below Temporal's 2 MB payload limit."""

import json
import uuid

import pytest

from testkit.gateway import alertmanager_group, state_of
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

STATE_BUDGET = 512 * 1024  # far below Temporal's 2 MB payload limit


def many_alerts(count: int) -> bytes:
    """One notification of `count` small alerts, as compact as Alertmanager's JSON (just under 1 MiB)."""
    payload = alertmanager_group(f"storm-{uuid.uuid4().hex}")
    payload["alerts"] = [{"status": "firing", "fingerprint": f"{i:x}",
                          "labels": {"alertname": "PayErr", "i": str(i)}}
                         for i in range(count)]
    body = json.dumps(payload, separators=(",", ":")).encode()
    assert 800_000 < len(body) < 1024 * 1024
    return body


async def acknowledge_and_show(http, incident: str) -> dict:
    answer = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "acknowledge", "by": "minsu"})
    assert answer.status_code == 200, answer.text
    shown = await http.get(f"/api/incidents/{incident}")
    assert shown.status_code == 200, shown.text
    assert len(shown.content) < STATE_BUDGET
    return shown.json()


async def test_ten_thousand_alerts_in_one_notification_leave_an_incident_that_still_answers(alert_gateway, time_env,
                                                                                           recorder):
    payload = many_alerts(10_000)
    async with alert_gateway.http() as http:
        opened = await http.post("/webhooks/alertmanager", content=payload,
                                 headers={"Content-Type": "application/json"})
        assert opened.status_code == 200, opened.text
        incident = opened.json()["incident_id"]
        await state_of(time_env.client, incident)
        state = await acknowledge_and_show(http, incident)
    assert len(state["alerts"]) == 100 and state["alerts_hidden"] == 9_900
    assert state["acknowledged_by"] == "minsu" and state["phase"] == "triaged"
    assert ("decision", "api-token on behalf of minsu") in [(e["kind"], e["actor"]) for e in state["timeline"]]
    assert any("+9,900 more alerts of this group not shown" in e["text"] for e in state["timeline"])
    assert sum(e["kind"] == "alert" for e in state["timeline"]) <= 12
    assert [p["tier"] for p in recorder.pages() if p["incident_id"] == incident] == ["primary"]


async def test_huge_labels_are_cut_and_the_incident_still_accepts_decisions(alert_gateway, time_env):
    key = f"big-{uuid.uuid4().hex}"
    async with alert_gateway.http() as http:
        for round_ in range(3):
            payload = alertmanager_group(key, fingerprints=[f"r{round_}a{i}" for i in range(10)])
            for alert in payload["alerts"]:
                alert["labels"]["blob"] = "x" * 85_000
            answer = await http.post("/webhooks/alertmanager", json=payload)
            assert answer.status_code == 200, answer.text
        incident = answer.json()["incident_id"]
        await wait_until(lambda: _has_alerts(time_env.client, incident, 30), "all 30 alerts in the incident")
        state = await acknowledge_and_show(http, incident)
    blob = next(iter(state["alerts"].values()))
    assert blob["clipped"] and len(blob["labels"].get("blob", "")) < 2048
    assert blob["labels"]["alertname"] == "PaymentErrorRateHigh" and state["severity"] == "sev1"


async def _has_alerts(client, incident: str, count: int):
    return len((await state_of(client, incident)).alerts) >= count


@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
async def test_a_time_in_year_9999_is_taken_at_the_door_and_primary_is_paged(alert_gateway, time_env, recorder, field):
    payload = alertmanager_group(f"far-{uuid.uuid4().hex}")
    payload["alerts"][0][field] = "9999-12-31T23:59:59Z"
    async with alert_gateway.http() as http:
        opened = await http.post("/webhooks/alertmanager", json=payload)
        assert opened.status_code == 200 and opened.json()["message"].endswith("opened"), opened.text
        incident = opened.json()["incident_id"]
        await wait_until(lambda: [p for p in recorder.pages() if p["incident_id"] == incident],
                         "the primary page")
        state = await acknowledge_and_show(http, incident)
    assert state["started_at"] < "2100"



async def test_a_5000_character_title_is_refused_at_the_rest_api_naming_the_field(alert_gateway):
    async with alert_gateway.http() as http:
        answer = await http.post("/api/incidents", json={"service": "payments", "severity": "sev2", "by": "minsu",
                                                        "title": "t" * 5000})
    assert answer.status_code == 422
    assert "title" in answer.text and "300" in answer.text


async def test_a_5000_character_alertname_opens_an_incident_with_a_title_cut_to_the_limit(alert_gateway, time_env):
    payload = alertmanager_group(f"long-{uuid.uuid4().hex}", alertname="A" * 5000)
    async with alert_gateway.http() as http:
        opened = await http.post("/webhooks/alertmanager", json=payload)
        assert opened.status_code == 200, opened.text
        state = await state_of(time_env.client, opened.json()["incident_id"])
    assert len(state.title) == 300 and state.title.endswith("…")


async def test_publish_postmortem_is_refused_from_outside_and_the_draft_stays_a_draft(alert_gateway, time_env):
    from temporalio.client import WorkflowUpdateFailedError

    from domain.incident.decisions import PublishPostmortem

    payload = alertmanager_group(f"pm-{uuid.uuid4().hex}")
    async with alert_gateway.http() as http:
        opened = await http.post("/webhooks/alertmanager", json=payload)
        incident = opened.json()["incident_id"]
        await state_of(time_env.client, incident)
        resolved = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "resolve", "by": "minsu"})
        assert resolved.status_code == 200, resolved.text
        await wait_until(lambda: _phase_is(time_env.client, incident, "postmortem"), "the postmortem phase")

        refused = await http.post(f"/api/incidents/{incident}/decisions",
                                  json={"kind": "publish_postmortem", "by": "mallory"})
        assert refused.status_code == 422 and "publish_postmortem" in refused.text
        handle = time_env.client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + incident)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update(IncidentWorkflow.decide, PublishPostmortem(by="mallory"))
        assert "incidentflow's own decision" in failed.value.cause.message
        shown = (await http.get(f"/api/incidents/{incident}")).json()
    assert shown["phase"] == "postmortem"
    assert not any("mallory" in e["text"] or e["actor"] == "mallory" for e in shown["timeline"])


async def _phase_is(client, incident: str, phase: str) -> bool:
    return (await state_of(client, incident)).phase.value == phase


def test_the_cli_refuses_a_5000_character_title_in_one_line_naming_the_field():
    import subprocess

    from testkit.environment import venv_binary

    done = subprocess.run([venv_binary("incident"), "declare", "--service", "payments", "--severity", "sev2",
                           "--title", "t" * 5000, "--by", "minsu"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: invalid input: title: String should have at most 300 characters"
