"""The REST API and the Alertmanager webhook against a real Temporal dev server (list visibility), seen
the way a user sees them: `incident list` / `incident show --json` agree with the HTTP answers."""

import asyncio
import json
import uuid

import pytest

from testkit.gateway import alertmanager_group, served
from testkit.helpers import cli, running_worker
from testkit.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.own_dev_server]  # listings see only this module's incidents


@pytest.fixture
async def stack(dev_server, dev_client, task_queue, recorder):
    async with running_worker(dev_client, task_queue, recorder):
        with served(dev_server, task_queue) as gateway:
            yield gateway
        # an incident left running without its worker would stall the next test's listing queries
        async for execution in dev_client.list_workflows("ExecutionStatus = 'Running'"):
            await dev_client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("test over")


async def test_alert_group_sent_repeatedly_is_one_incident_in_the_list(stack, dev_server, dev_client, recorder):
    group = alertmanager_group(f"dev-{uuid.uuid4().hex}", fingerprints=("p1", "p2"))
    async with stack.http() as http:
        answers = await asyncio.gather(*(http.post("/webhooks/alertmanager", json=group) for _ in range(2)))
        answers += [await http.post("/webhooks/alertmanager", json=group) for _ in range(18)]
        assert {a.status_code for a in answers} == {200}
        incident = answers[0].json()["incident_id"]
        assert [a.json()["started"] for a in answers].count(True) == 1  # the real server says who started it

        async def listed():
            listing = (await http.get("/api/incidents", params={"open": "true"})).json()
            return [i for i in listing if i["id"].startswith(incident)]

        mine = await wait_until(listed, "the incident in GET /api/incidents?open=true")
    assert [i["id"] for i in mine] == [incident]
    assert mine[0]["severity"] == "sev1" and mine[0]["phase"] == "detected"
    runs = [w async for w in dev_client.list_workflows(
        f"WorkflowType = 'IncidentWorkflow' AND WorkflowId STARTS_WITH 'incident-{incident}'")]
    assert len(runs) == 1
    await wait_until(lambda: [p for p in recorder.pages() if p["incident_id"] == incident], "a page")
    await asyncio.sleep(0.5)
    assert [p["tier"] for p in recorder.pages() if p["incident_id"] == incident] == ["primary"]
    assert incident in [i["id"] for i in json.loads(await cli(dev_server, "list", "--json"))]



async def test_declare_show_decide_and_list_over_rest(stack, dev_server, recorder):
    async with stack.http() as http:
        declared = await http.post("/api/incidents", json={"service": "friends", "severity": "sev3",
                                                           "title": "Friend list slow", "by": "minsu"})
        assert declared.status_code == 201, declared.text
        incident = declared.json()["id"]
        assert declared.json()["workflow_id"] == f"incident-{incident}"
        await wait_until(lambda: [p for p in recorder.pages() if p["incident_id"] == incident], "a page")

        shown = await http.get(f"/api/incidents/{incident}")
        assert shown.status_code == 200
        assert shown.json() == json.loads(await cli(dev_server, "show", incident, "--json"))
        assert shown.json()["declared_by"] == "api-token on behalf of minsu" and shown.json()["source"] == "api"

        ack = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "acknowledge", "by": "jiyoung"})
        assert ack.status_code == 200
        assert ack.json() == {"accepted": True, "phase": "triaged", "text": "jiyoung acknowledged",
                              "role_name": None, "duties": []}
        again = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "acknowledge", "by": "minsu"})
        assert again.status_code == 409
        assert again.json() == {"detail": "rejected: already acknowledged by jiyoung"}

        unknown = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "dance", "by": "minsu"})
        assert unknown.status_code == 422 and "kind" in unknown.json()["detail"]
        missing_by = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "add_note", "text": "hi"})
        assert missing_by.status_code == 422
        assert missing_by.json()["detail"] == "invalid payload: add_note.by: Field required"
        bad_declare = await http.post("/api/incidents", json={"service": "x", "severity": "sev7", "title": "t",
                                                              "by": "minsu"})
        assert bad_declare.status_code == 422 and bad_declare.json()["detail"].startswith("invalid payload: severity:")

        for kind in ("resolve", "close"):
            done = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": kind, "by": "jiyoung"})
            assert done.status_code == 200, done.text

        async def closed_in_list():
            everything = (await http.get("/api/incidents")).json()
            open_ = (await http.get("/api/incidents?open=true")).json()
            ours = [i for i in everything if i["id"] == incident]
            return ours if ours and ours[0]["phase"] == "closed" and incident not in [i["id"] for i in open_] else None

        await wait_until(closed_in_list, "the closed incident listed under all, not open")
        late = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "add_note", "text": "x",
                                                                             "by": "minsu"})
        assert late.status_code == 409 and late.json()["detail"] == f"incident {incident} is closed (completed)"
        final = await http.get(f"/api/incidents/{incident}")
        assert final.json()["phase"] == "closed"
        metrics = (await http.get("/metrics")).text
    assert 'incidentflow_gateway_requests_total{method="POST",route="/api/incidents/{incident}/decisions",' \
           'status="409"}' in metrics
    assert 'incidentflow_gateway_rejects_total{reason="conflict"} 2.0' in metrics
    assert 'incidentflow_gateway_rejects_total{reason="invalid_payload"} 3.0' in metrics


async def test_openapi_describes_every_endpoint(stack):
    async with stack.http(token=None) as http:
        spec = (await http.get("/openapi.json")).json()
        health = await http.get("/healthz")
    assert health.json() == {"status": "ok"}
    paths = spec["paths"]
    for path, method in [("/webhooks/alertmanager", "post"), ("/webhooks/grafana", "post"),
                         ("/webhooks/pagerduty", "post"), ("/webhooks/generic", "post"), ("/api/incidents", "post"),
                         ("/api/incidents", "get"), ("/api/incidents/{incident}", "get"),
                         ("/api/incidents/{incident}/decisions", "post"), ("/healthz", "get"), ("/metrics", "get")]:
        assert method in paths[path], (path, method)
    assert "202" in paths["/webhooks/pagerduty"]["post"]["responses"]
    schemas = spec["components"]["schemas"]
    assert {"AlertmanagerPayload", "GrafanaPayload", "PagerDutyEvent", "GenericEvent", "DeclareRequest"} <= set(schemas)
