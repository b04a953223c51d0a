"""Every way the gateway refuses a request: the status, the text naming what is wrong, and that no workflow
exists afterwards. Plus: random JSON never gets a 5xx (hypothesis), and an unreachable Temporal is a 503."""

import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.mapping import incident_key
from testkit.environment import free_port
from testkit.gateway import (
    GRAFANA_SECRET,
    ROTATED_TOKEN,
    address_of,
    alertmanager_group,
    assert_no_workflow,
    example,
    outbox_rows,
    post_raw,
    served,
)
from testkit.processes import DevServer


@pytest.fixture
def gateway(time_env, task_queue):
    # no worker: a request that wrongly got through would still leave a workflow behind, which we check
    with served(address_of(time_env.client), task_queue, grafana_hmac_secret=GRAFANA_SECRET,
                grafana_hmac_timestamp_header="X-Grafana-Alerting-Signature-Timestamp") as served_gateway:
        yield served_gateway


def fresh_group() -> dict:
    return alertmanager_group(f"reject-{uuid.uuid4().hex}")


@pytest.mark.parametrize("headers, detail", [
    ({}, "missing credentials: send 'Authorization: Bearer <token>'"),
    ({"Authorization": "Bearer wrong-token"}, "invalid bearer token"),
    ({"Authorization": "Basic dGVzdDp0ZXN0"}, "missing credentials: send 'Authorization: Bearer <token>'"),
    ({"Authorization": "Bearer test-token-1x"}, "invalid bearer token"),
])
async def test_bad_credentials_are_401_and_start_nothing(gateway, time_env, headers, detail):
    group = fresh_group()
    answer = await post_raw(gateway, "/webhooks/alertmanager", json.dumps(group).encode(), headers, token=None)
    assert answer.status_code == 401
    assert answer.json() == {"detail": detail}
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    await assert_no_workflow(time_env.client, "alertmanager", group["groupKey"])
    async with gateway.http(token=None) as http:
        assert (await http.get("/api/incidents/whatever", headers=headers)).status_code == 401
    assert gateway.metric("incidentflow_gateway_rejects_total", reason="unauthorized") == 2


async def test_the_rotated_second_token_is_accepted_too(gateway):
    async with gateway.http(ROTATED_TOKEN) as http:
        answer = await http.post("/webhooks/alertmanager", json={"groupKey": "k"})
    assert answer.status_code == 422  # past authentication, stopped by the schema


async def test_a_body_over_1_mib_is_413(gateway, time_env):
    group = fresh_group()
    group["commonAnnotations"]["padding"] = "x" * (1024 * 1024)
    answer = await post_raw(gateway, "/webhooks/alertmanager", json.dumps(group).encode())
    assert answer.status_code == 413
    assert answer.json() == {"detail": "request body larger than 1048576 bytes (1 MiB)"}

    async def chunks():  # no Content-Length: the limit holds for a streamed body as well
        body = json.dumps(group).encode()
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    async with gateway.http() as http:
        streamed = await http.post("/webhooks/alertmanager", content=chunks())
    assert streamed.status_code == 413
    await assert_no_workflow(time_env.client, "alertmanager", group["groupKey"])


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"groupKey": "k",', "\ufeff{".encode(), b"\xff\xfe"])
async def test_malformed_json_is_400(gateway, body):
    answer = await post_raw(gateway, "/webhooks/alertmanager", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("malformed JSON body")


@pytest.mark.parametrize("path, mutate, field", [
    ("/webhooks/alertmanager", lambda p: p.pop("groupKey"), "groupKey"),
    ("/webhooks/alertmanager", lambda p: p["alerts"][0].update(status="burning"), "alerts.0.status"),
    ("/webhooks/alertmanager", lambda p: p.update(alerts=[]), "alerts"),
    ("/webhooks/alertmanager", lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts.0.startsAt"),
    ("/webhooks/alertmanager", lambda p: p["alerts"][0]["labels"].update(count=3), "alerts.0.labels.count"),
])
async def test_schema_violations_are_422_naming_the_field(gateway, time_env, path, mutate, field):
    group = fresh_group()
    mutate(group)
    answer = await post_raw(gateway, path, json.dumps(group).encode())
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(f"invalid payload: {field}: ")
    assert field in [e["field"] for e in answer.json()["errors"]]
    if "groupKey" in group:
        await assert_no_workflow(time_env.client, "alertmanager", group["groupKey"])


async def test_pagerduty_and_generic_schema_violations_are_422(gateway, time_env):
    trigger = example("pagerduty-trigger.json")
    trigger["dedup_key"] = f"pd-{uuid.uuid4().hex}"
    cases = [
        ({**trigger, "event_action": "snooze"}, "event_action"),
        ({**trigger, "payload": {**trigger["payload"], "severity": "sev1"}}, "payload.severity"),
        ({**trigger, "payload": None}, "payload"),
        ({k: v for k, v in trigger.items() if k != "routing_key"}, "routing_key"),
        ({**trigger, "event_action": "acknowledge", "dedup_key": None}, "dedup_key"),
    ]
    for body, field in cases:
        answer = await post_raw(gateway, "/webhooks/pagerduty", json.dumps(body).encode())
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["detail"].startswith(f"invalid payload: {field}: "), answer.json()
    await assert_no_workflow(time_env.client, "pagerduty", trigger["dedup_key"])

    generic = example("generic-firing.json")
    generic["key"] = f"gen-{uuid.uuid4().hex}"
    for body, field in [({**generic, "colour": "red"}, "colour"), ({**generic, "severity": "sev9"}, "severity"),
                        ({**generic, "title": "  "}, "title")]:
        answer = await post_raw(gateway, "/webhooks/generic", json.dumps(body).encode())
        assert answer.status_code == 422 and answer.json()["detail"].startswith(f"invalid payload: {field}: ")
    await assert_no_workflow(time_env.client, "generic", generic["key"])


async def test_grafana_signature_is_checked_when_configured(gateway, time_env):
    payload = example("grafana-firing.json")
    payload["groupKey"] = f"grafana-{uuid.uuid4().hex}"
    body = json.dumps(payload).encode()
    # a fresh timestamp: stale signatures are refused (gateway/guard.py SIGNATURE_WINDOW_SECONDS)
    timestamp = str(int(time.time()))
    good = hmac.new(GRAFANA_SECRET.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    cases = [
        ({"X-Grafana-Alerting-Signature": good}, "missing X-Grafana-Alerting-Signature-Timestamp header"),
        ({"X-Grafana-Alerting-Signature-Timestamp": timestamp}, "missing X-Grafana-Alerting-Signature header"),
        ({"X-Grafana-Alerting-Signature-Timestamp": str(int(timestamp) + 1), "X-Grafana-Alerting-Signature": good},
         "X-Grafana-Alerting-Signature does not match the body"),
    ]
    for headers, detail in cases:
        answer = await post_raw(gateway, "/webhooks/grafana", body, headers)
        assert answer.status_code == 401 and answer.json()["detail"].startswith(detail), answer.text
    await assert_no_workflow(time_env.client, "grafana", payload["groupKey"])
    assert gateway.metric("incidentflow_gateway_rejects_total", reason="bad_signature") == 3

    signed = await post_raw(gateway, "/webhooks/grafana", body,
                            {"X-Grafana-Alerting-Signature": good, "X-Grafana-Alerting-Signature-Timestamp": timestamp})
    assert signed.status_code == 200, signed.text
    assert signed.json()["incident_id"] == incident_key("grafana", payload["groupKey"])


async def test_unreachable_temporal_is_503_and_the_retry_goes_through(time_env, task_queue):
    group = fresh_group()
    with served(f"127.0.0.1:{free_port()}", task_queue) as dead:
        async with dead.http() as http:
            answer = await http.post("/webhooks/alertmanager", json=group)
            listing = await http.get("/api/incidents/x")
    assert answer.status_code == 503 and listing.status_code == 503
    assert answer.headers["Retry-After"] == "10"
    assert "is unreachable; retry later" in answer.json()["detail"]
    assert dead.metric("incidentflow_gateway_rejects_total", reason="temporal_unavailable") == 2
    assert outbox_rows(dead.outbox_url) == []  # refused: nothing queued to be delivered later
    await assert_no_workflow(time_env.client, "alertmanager", group["groupKey"])
    # nothing was remembered as seen: the same snapshot, retried once Temporal is there, opens the incident
    with served(address_of(time_env.client), task_queue) as alive:
        async with alive.http() as http:
            retried = await http.post("/webhooks/alertmanager", json=group)
    assert retried.status_code == 200 and retried.json()["status"] == "accepted"


async def test_unknown_incident_is_404_and_errors_never_carry_a_trace(gateway):
    async with gateway.http() as http:
        missing = await http.get("/api/incidents/no-such-incident")
        decision = await http.post("/api/incidents/no-such-incident/decisions", json={"kind": "acknowledge", "by": "a"})
        wrong_method = await http.get("/webhooks/alertmanager")
    assert missing.status_code == 404 and "no incident 'no-such-incident'" in missing.json()["detail"]
    assert decision.status_code == 404
    assert wrong_method.status_code == 405
    for answer in (missing, decision, wrong_method):
        assert "Traceback" not in answer.text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
ALERTMANAGER_KEYS = ["version", "groupKey", "status", "receiver", "groupLabels", "commonLabels", "alerts",
                     "commonAnnotations", "externalURL", "truncatedAlerts"]
ALMOST_ALERTMANAGER = st.fixed_dictionaries({}, optional={k: JSON for k in ALERTMANAGER_KEYS})
PATHS = ["/webhooks/alertmanager", "/webhooks/grafana", "/webhooks/pagerduty", "/webhooks/generic",
         "/api/incidents", "/api/incidents/x/decisions"]


def test_random_json_never_gets_a_5xx(time_env, task_queue):
    with served(address_of(time_env.client), task_queue) as gateway:
        http = httpx.Client(base_url=gateway.url, headers={"Authorization": "Bearer test-token-1"}, timeout=30)

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(path=st.sampled_from(PATHS), body=JSON | ALMOST_ALERTMANAGER)
        def check(path, body):
            answer = http.post(path, json=body)
            assert answer.status_code < 500, (path, body, answer.status_code, answer.text)

        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
        @given(path=st.sampled_from(PATHS), raw=st.binary(max_size=200))
        def check_bytes(path, raw):
            answer = http.post(path, content=raw, headers={"Content-Type": "application/json"})
            assert answer.status_code < 500, (path, raw, answer.status_code, answer.text)

        try:
            check()
            check_bytes()
        finally:
            http.close()


@pytest.mark.slow
async def test_temporal_going_away_after_connecting_is_503(tmp_path, task_queue):
    server = DevServer(tmp_path)
    server.start()
    try:
        with served(server.address, task_queue) as gateway:
            async with gateway.http() as http:
                first = await http.post("/webhooks/alertmanager", json=fresh_group())
                assert first.status_code == 200 and first.json()["started"], first.text
                server.stop()
                gone = await http.post("/webhooks/alertmanager", json=fresh_group())
                assert gone.status_code == 503, gone.text
                assert gone.json()["detail"].endswith("is unreachable; retry later")
                assert outbox_rows(gateway.outbox_url) == []  # the outbox absorbs slowness, not outages
    finally:
        server.stop()
