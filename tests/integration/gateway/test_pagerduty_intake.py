"""PagerDuty Events v2 as a drop-in (issue 21): what Alertmanager's `pagerduty_configs` and PagerDuty's client
libraries send — `POST /v2/enqueue`, the routing key in the body, no bearer token — through the real app on
loopback into a real worker (time-skipping server). A configured routing key authenticates and names the
service; PagerDuty's severity goes through the policy's alert mapping; an unknown key gets PagerDuty's own
400; the key never reaches a workflow history; `incident config show` masks the keys."""

import json
import uuid

import pytest
from pydantic import ValidationError

from cli.config_table import MASK, rows
from settings import Settings
from testkit.gateway import TOKEN, address_of, assert_no_workflow, example, served, state_of
from testkit.helpers import running_worker
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX

PAYMENTS_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90"  # 32 characters, like PagerDuty's integration keys
LOGIN_KEY = "0f9e8d7c6b5a49382716f5e4d3c2b1a0"
INTAKE_KEYS = json.dumps({PAYMENTS_KEY: "payments", LOGIN_KEY: "login"})
INVALID = {"status": "invalid event", "message": "Event object is invalid"}


@pytest.fixture
async def gateway(time_env, task_queue, recorder):
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, pagerduty_intake_keys=INTAKE_KEYS) as served_gateway:
            yield served_gateway


def alertmanager_event(routing_key: str, **payload) -> dict:
    """What Alertmanager 0.25's pagerduty_configs posts with its defaults: severity `error`, source and client
    `Alertmanager`, the alert's labels only inside the `firing` text."""
    return {
        "routing_key": routing_key, "dedup_key": uuid.uuid4().hex, "event_action": "trigger",
        "payload": {
            "summary": "[FIRING:1] PaymentsFailing (payments critical)", "source": "Alertmanager",
            "severity": "error",
            "custom_details": {"firing": "Labels:\n - alertname = PaymentsFailing\n - service = payments\n"
                                         " - severity = critical\nAnnotations:\n - summary = card payments fail\n",
                               "num_firing": "1", "num_resolved": "0", "resolved": ""},
            **payload,
        },
        "client": "Alertmanager", "client_url": "http://alertmanager:9093/#/alerts?receiver=pagerduty",
    }


async def enqueue(gateway, event: dict, path: str = "/v2/enqueue", token: str | None = None):
    async with gateway.http(token) as http:
        return await http.post(path, json=event)


async def test_an_alertmanager_event_without_a_token_is_filed_under_its_routing_keys_service(gateway, time_env):
    event = alertmanager_event(PAYMENTS_KEY)
    answer = await enqueue(gateway, event)
    assert answer.status_code == 202, answer.text
    assert {k: answer.json()[k] for k in ("status", "message", "dedup_key")} == {
        "status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}
    state = await state_of(time_env.client, answer.json()["incident_id"])
    assert state.service == "payments"  # the routing key's service, not `source: Alertmanager`
    assert state.severity.value == "sev1"  # the policy's rule for service payments, not `error` → sev2
    assert state.title == "[FIRING:1] PaymentsFailing (payments critical)"
    alert = state.alerts[event["dedup_key"]]
    assert alert.labels["service"] == "payments" and alert.labels["severity"] == "error"
    assert alert.labels["num_firing"] == "1" and "resolved" not in alert.labels  # an empty detail is dropped
    assert alert.annotations["firing"].startswith("Labels:\n - alertname = PaymentsFailing")
    history = await time_env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + state.id).fetch_history()
    assert PAYMENTS_KEY not in history.to_json()
    assert gateway.metric("incidentflow_gateway_requests_total", method="POST", route="/v2/enqueue",
                          status="202") == 1


async def test_pagerduty_severities_map_through_the_policy(gateway, time_env):
    """`login` has no service rule in the policy: severity_values decide (critical sev1 … info sev3)."""
    expected = {"critical": "sev1", "error": "sev2", "warning": "sev2", "info": "sev3"}
    incidents = {}
    for severity in expected:
        event = alertmanager_event(LOGIN_KEY, severity=severity, summary=f"Login API 5xx ({severity})",
                                   component="login-api", group="auth", custom_details={"team": "identity"})
        answer = await enqueue(gateway, event)
        assert answer.status_code == 202, answer.text
        incidents[severity] = answer.json()["incident_id"]
    for severity, incident_id in incidents.items():
        state = await state_of(time_env.client, incident_id)
        assert (state.service, state.severity.value) == ("login", expected[severity]), severity
        (alert,) = state.alerts.values()
        assert {k: alert.labels[k] for k in ("component", "group", "team", "source")} == {
            "component": "login-api", "group": "auth", "team": "identity", "source": "Alertmanager"}


async def test_acknowledge_and_resolve_with_the_routing_key_alone_drive_the_incident(gateway, time_env):
    event = alertmanager_event(PAYMENTS_KEY)
    opened = await enqueue(gateway, event, path="/webhooks/pagerduty")  # the other path takes routing keys too
    assert opened.status_code == 202, opened.text
    incident_id = opened.json()["incident_id"]
    follow_up = {"routing_key": PAYMENTS_KEY, "dedup_key": event["dedup_key"]}
    ack = await enqueue(gateway, {**follow_up, "event_action": "acknowledge"})
    assert ack.status_code == 202 and ack.json()["incident_id"] == incident_id, ack.text

    async def acknowledged():
        state = await state_of(time_env.client, incident_id)
        return state if state.acknowledged_by == "pagerduty" else None

    await wait_until(acknowledged, "the acknowledgement")
    resolve = await enqueue(gateway, {**follow_up, "event_action": "resolve"})
    assert resolve.status_code == 202 and resolve.json()["incident_id"] == incident_id, resolve.text


@pytest.mark.parametrize("path", ["/v2/enqueue", "/webhooks/pagerduty"])
async def test_an_unknown_or_missing_routing_key_gets_pagerdutys_400_and_starts_nothing(gateway, time_env, path):
    unknown = alertmanager_event("f" * 32)
    missing = {k: v for k, v in alertmanager_event(PAYMENTS_KEY).items() if k != "routing_key"}
    not_json = b"routing_key=" + PAYMENTS_KEY.encode()
    answers = [await enqueue(gateway, unknown, path), await enqueue(gateway, missing, path)]
    async with gateway.http(token=None) as http:
        answers.append(await http.post(path, content=not_json, headers={"Content-Type": "application/json"}))
    expected_errors = [["Invalid routing key"], ["routing_key is missing"], ["routing_key is missing"]]
    for answer, errors in zip(answers, expected_errors, strict=True):
        assert answer.status_code == 400, answer.text
        body = answer.json()
        assert {k: body[k] for k in ("status", "message", "errors")} == {**INVALID, "errors": errors}
        assert "INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS" in body["detail"] or "routing_key is missing" in body["detail"]
    for event in (unknown, missing):
        await assert_no_workflow(time_env.client, "pagerduty", event["dedup_key"])
    assert gateway.metric("incidentflow_gateway_rejects_total", reason="unknown_routing_key") == 3
    assert gateway.metric("incidentflow_gateway_rejects_total", reason="unauthorized") == 0


async def test_a_bearer_token_keeps_working_and_a_wrong_one_is_still_401(gateway, time_env):
    event = example("pagerduty-trigger.json")  # its routing key is not configured
    event["dedup_key"] = f"pd-{uuid.uuid4().hex}"
    wrong = await enqueue(gateway, event, path="/webhooks/pagerduty", token="wrong-token")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "invalid bearer token"})
    await assert_no_workflow(time_env.client, "pagerduty", event["dedup_key"])
    for path in ("/webhooks/pagerduty", "/v2/enqueue"):
        answer = await enqueue(gateway, {**event, "dedup_key": f"{event['dedup_key']}-{path[1]}"}, path, TOKEN)
        assert answer.status_code == 202, answer.text
        state = await state_of(time_env.client, answer.json()["incident_id"])
        assert state.service == "login"  # no routing key service: custom_details.service, as before
    # a configured routing key with a wrong bearer token: the routing key is enough
    keyed = await enqueue(gateway, alertmanager_event(PAYMENTS_KEY), token="wrong-token")
    assert keyed.status_code == 202, keyed.text


async def test_an_invalid_event_on_v2_enqueue_is_pagerdutys_400_naming_the_field(gateway):
    event = alertmanager_event(PAYMENTS_KEY, severity="sev1")
    answer = await enqueue(gateway, event)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("status", "message")} == INVALID
    assert body["errors"][0].startswith("payload.severity: Input should be 'critical', 'error', 'warning' or 'info'")
    no_payload = await enqueue(gateway, {**event, "payload": None})
    assert no_payload.status_code == 400 and no_payload.json()["errors"] == ["payload: required for trigger"]
    # the same events with a bearer token on /webhooks/pagerduty keep our 422 {"detail", "errors"}
    classic = await enqueue(gateway, event, path="/webhooks/pagerduty", token=TOKEN)
    assert classic.status_code == 422 and classic.json()["detail"].startswith("invalid payload: payload.severity")


async def test_the_body_limits_hold_on_v2_enqueue(gateway):
    event = alertmanager_event(PAYMENTS_KEY, custom_details={"padding": "x" * (1024 * 1024)})
    too_large = await enqueue(gateway, event)
    assert (too_large.status_code, too_large.json()) == (413, {"detail": "request body larger than 1048576 bytes "
                                                                         "(1 MiB)"})
    async with gateway.http(token=None) as http:
        utf16 = await http.post("/v2/enqueue", content=json.dumps(alertmanager_event(PAYMENTS_KEY)).encode("utf-16"),
                                headers={"Content-Type": "application/json"})
    assert utf16.status_code == 400, utf16.text  # no routing key can be read from it: PagerDuty's answer
    assert utf16.json()["errors"] == ["routing_key is missing"]


def test_routing_keys_are_a_secret_setting_masked_by_config_show_and_checked_at_start():
    settings = Settings(pagerduty_intake_keys=INTAKE_KEYS)
    assert settings.pagerduty_intake_services == {PAYMENTS_KEY: "payments", LOGIN_KEY: "login"}
    (row,) = [r for r in rows(settings) if r["setting"] == "pagerduty_intake_keys"]
    assert row["env"] == ["INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS"] and row["secret"] and row["value"] == MASK
    assert PAYMENTS_KEY not in repr(settings) and PAYMENTS_KEY not in json.dumps(rows(settings), default=str)
    for raw, problem in [('["payments"]', "must be a JSON object of routing key → service name, not a list"),
                         ("{bad", "not valid JSON"), (json.dumps({PAYMENTS_KEY: ""}), "entry 1: the service must be"),
                         (json.dumps({"  ": "payments"}), "entry 1: the routing key is empty")]:
        with pytest.raises(ValidationError) as refused:
            Settings(pagerduty_intake_keys=raw)
        message = "; ".join(e["msg"] for e in refused.value.errors(include_input=False))
        assert problem in message and PAYMENTS_KEY not in message, message
