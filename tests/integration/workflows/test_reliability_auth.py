"""R5 signatures, tokens and secrets (docs/reliability.md, SECURITY.md).

Covered elsewhere and not repeated here: missing/wrong/rotated bearer tokens and Grafana signatures that do not
match (tests/integration/gateway/test_gateway_rejections.py), forged, stale and replayed Slack requests
(tests/integration/gateway/test_slack_interactions.py::test_forged_stale_and_replayed_requests_are_refused_and_change_nothing).
Here: stale and replayed Grafana signatures, and a full incident run with every secret configured, whose
workflow histories and logs must not contain any of them."""

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid

import pytest

from testkit.comms import PD_KEY, SIGNING_SECRET, button_body, comms_settings, comms_worker, signed
from testkit.comms import snapshot as incident_snapshot
from testkit.fakes.pagerduty import FakePagerDuty
from testkit.fakes.slack_api import TOKEN as SLACK_BOT_TOKEN
from testkit.fakes.slack_api import FakeSlack
from testkit.gateway import (
    GRAFANA_SECRET,
    ROTATED_TOKEN,
    TOKEN,
    address_of,
    alertmanager_group,
    assert_no_workflow,
    example,
    post_raw,
    served,
)
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX

TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"


def grafana_headers(body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac.new(GRAFANA_SECRET.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Grafana-Alerting-Signature": digest, TIMESTAMP_HEADER: str(timestamp)}


@pytest.fixture
def grafana_gateway(time_env, task_queue):
    with served(address_of(time_env.client), task_queue, grafana_hmac_secret=GRAFANA_SECRET,
                grafana_hmac_timestamp_header=TIMESTAMP_HEADER) as gateway:
        yield gateway


async def test_stale_future_and_replayed_grafana_signatures_are_refused_and_start_nothing(grafana_gateway, time_env):
    payload = example("grafana-firing.json")
    payload["groupKey"] = f"grafana-{uuid.uuid4().hex}"
    body = json.dumps(payload).encode()
    now = int(time.time())
    stale = await post_raw(grafana_gateway, "/webhooks/grafana", body, grafana_headers(body, now - 400))
    future = await post_raw(grafana_gateway, "/webhooks/grafana", body, grafana_headers(body, now + 400))
    not_a_time = await post_raw(grafana_gateway, "/webhooks/grafana", body,
                                {**grafana_headers(body, now), TIMESTAMP_HEADER: "yesterday"})
    for refused in (stale, future):
        assert refused.status_code == 401 and "more than 300 s old" in refused.json()["detail"], refused.text
    assert not_a_time.status_code == 401, not_a_time.text  # its signature cannot match either
    await assert_no_workflow(time_env.client, "grafana", payload["groupKey"])

    fresh = grafana_headers(body, now - 5)
    first = await post_raw(grafana_gateway, "/webhooks/grafana", body, fresh)
    assert first.status_code == 200, first.text
    replay = await post_raw(grafana_gateway, "/webhooks/grafana", body, fresh)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"], replay.text
    milliseconds = await post_raw(grafana_gateway, "/webhooks/grafana", body, grafana_headers(body, now * 1000))
    assert milliseconds.status_code == 200, milliseconds.text  # a new signature for the same alert: accepted
    assert grafana_gateway.metric("incidentflow_gateway_rejects_total", reason="bad_signature") == 4


def _payload_texts(node, key: str | None = None):
    """Every string in a history's JSON, with payload `data` (base64) decoded."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from _payload_texts(child, child_key)
    elif isinstance(node, list):
        for child in node:
            yield from _payload_texts(child, key)
    elif isinstance(node, str):
        yield node
        if key == "data":
            with contextlib.suppress(ValueError):
                yield base64.b64decode(node).decode("utf-8", "replace")


async def _histories(client, workflow_id: str, seen: set[str]) -> list[dict]:
    """The history of a workflow and of every child it started (runbooks, postmortem)."""
    if workflow_id in seen:
        return []
    seen.add(workflow_id)
    history = (await client.get_workflow_handle(workflow_id).fetch_history()).to_json_dict()
    found = [history]
    for event in history["events"]:
        started = event.get("startChildWorkflowExecutionInitiatedEventAttributes")
        if started:
            found += await _histories(client, started["workflowId"], seen)
    return found


async def test_no_configured_secret_reaches_a_workflow_history_or_the_logs(time_env, task_queue, tmp_path, caplog):
    """A whole incident with every secret configured: opened by a signed, authenticated alert, paged through
    Slack and PagerDuty, acknowledged from a signed Slack button, resolved through the API."""
    caplog.set_level(logging.INFO)
    statuspage_key = "sp-api-key-0123456789abcdef"
    secrets = {"api token": TOKEN, "rotated api token": ROTATED_TOKEN, "grafana hmac secret": GRAFANA_SECRET,
               "slack signing secret": SIGNING_SECRET, "slack bot token": SLACK_BOT_TOKEN,
               "pagerduty routing key": PD_KEY, "statuspage api key": statuspage_key}
    client = time_env.client
    with FakeSlack() as slack, FakePagerDuty({PD_KEY}) as pagerduty:
        settings = comms_settings(tmp_path, slack, pagerduty)
        async with comms_worker(client, task_queue, settings):
            with served(address_of(client), task_queue, data_dir=tmp_path, slack_signing_secret=SIGNING_SECRET,
                        slack_bot_token=SLACK_BOT_TOKEN, slack_api_url=slack.api_url,
                        pagerduty_routing_key=PD_KEY, grafana_hmac_secret=GRAFANA_SECRET,
                        grafana_hmac_timestamp_header=TIMESTAMP_HEADER, statuspage_api_key=statuspage_key) as gw:
                async with gw.http() as http:
                    opened = await http.post("/webhooks/alertmanager",
                                             json=alertmanager_group(f"secrets-{uuid.uuid4().hex}"))
                    assert opened.status_code == 200, opened.text
                    incident_id = opened.json()["incident_id"]
                    await wait_until(lambda: pagerduty.accepted("trigger"), "the PagerDuty page")
                    await wait_until(lambda: _has_room(client, incident_id), "the Slack room")
                    body = button_body("acknowledge", incident_id, "U01MINSU")
                    async with gw.http(token=None) as slack_http:
                        clicked = await slack_http.post("/slack/interactions", content=body, headers=signed(body))
                    assert clicked.status_code == 200, clicked.text
                    await wait_until(lambda: _where(client, incident_id, lambda s: s.acknowledged_by), "the ack")
                    resolved = await http.post(f"/api/incidents/{incident_id}/decisions",
                                               json={"kind": "resolve", "by": "minsu", "summary": "rolled back"})
                    assert resolved.status_code == 200, resolved.text
                    await wait_until(lambda: _where(client, incident_id, lambda s: s.resolved_at), "resolution")
                    await wait_until(lambda: pagerduty.accepted("resolve"), "the PagerDuty resolve")
                    histories = await _histories(client, WORKFLOW_ID_PREFIX + incident_id, set())
                    await client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id).terminate("test over")

    texts = [t for history in histories for t in _payload_texts(history)]
    assert len(histories) >= 1 and sum(len(t) for t in texts) > 10_000  # a real history was scanned
    assert any("minsu" in t for t in texts)  # decoded payloads are in the scan
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records  # the worker and gateway did log
    for name, value in secrets.items():
        in_history = [t[:120] for t in texts if value in t]
        assert not in_history, f"{name} found in a workflow history: {in_history}"
        assert value not in logged, f"{name} found in the logs"


async def _has_room(client, incident_id):
    state = await incident_snapshot(client, incident_id)
    return state if state and state.room else None


async def _where(client, incident_id, predicate):
    state = await incident_snapshot(client, incident_id)
    return state if state and predicate(state) else None


