"""Alert webhooks -> incident workflows, through the real app over loopback and a real Temporal server
(time-skipping): one group is one incident with one primary page however often it is sent, a second
group is a second incident, resolved alerts mitigate, a firing after close opens a new incident, and
PagerDuty trigger/acknowledge/resolve drive one incident."""

import asyncio
import uuid

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Interceptor, OutboundInterceptor, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.incident.decisions import Acknowledge
from gateway.mapping import incident_key
from testkit.gateway import address_of, alert_stack, alertmanager_group, example, served, state_of
from testkit.gateway import wait_until as wait_for
from testkit.helpers import running_worker
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow


@pytest.fixture
async def stack(time_env, task_queue, recorder):
    async with alert_stack(time_env, task_queue, recorder) as gateway:
        yield gateway


async def exists(client, incident_id: str) -> bool:
    try:
        await client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id).describe()
        return True
    except RPCError as exc:
        assert exc.status == RPCStatusCode.NOT_FOUND
        return False


def primary_pages(recorder, incident_id: str) -> list[dict]:
    return [p for p in recorder.pages() if p["incident_id"] == incident_id and p["tier"] == "primary"]


async def test_one_group_sent_20_times_and_concurrently_is_one_incident_with_one_page(stack, time_env, recorder):
    group = alertmanager_group(f"group-{uuid.uuid4().hex}", fingerprints=("f1", "f2"))
    async with stack.http() as http:
        first = await http.post("/webhooks/alertmanager", json=group)
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "accepted" and first.json()["started"] is True
        incident = first.json()["incident_id"]
        answers = [await http.post("/webhooks/alertmanager", json=group) for _ in range(19)]
        assert {a.status_code for a in answers} == {200}
        assert {a.json()["incident_id"] for a in answers} == {incident}
        assert all(a.json()["status"] == "duplicate" for a in answers)

        # an HA Alertmanager pair: the same new snapshot twice at the same moment -> one Temporal call
        grown = alertmanager_group(group["groupKey"], fingerprints=("f1", "f2", "f3"))
        pair = await asyncio.gather(*(http.post("/webhooks/alertmanager", json=grown) for _ in range(2)))
        assert [p.status_code for p in pair] == [200, 200]
        assert sorted(p.json()["status"] for p in pair) == ["accepted", "duplicate"]
        assert {p.json()["incident_id"] for p in pair} == {incident}

    assert incident == incident_key("alertmanager", group["groupKey"])
    state = await wait_for(lambda: _with_alerts(time_env.client, incident, 3), "third alert")
    assert state.source == "alertmanager" and state.severity.value == "sev1"  # policy: service payments -> sev1
    assert [e.text for e in state.timeline if e.kind == "alert"] == ["firing: PaymentErrorRateHigh: "
                                                                     "Payment error rate above 5% for 5 minutes"]
    await wait_for(lambda: len(primary_pages(recorder, incident)) >= 1, "the primary page")
    await asyncio.sleep(0.5)  # a second page would have gone out by now
    assert len(primary_pages(recorder, incident)) == 1
    assert stack.metric("incidentflow_gateway_incidents_started_total", source="alertmanager") == 1
    assert stack.metric("incidentflow_gateway_dedup_hits_total", source="alertmanager") == 20
    assert stack.metric("incidentflow_gateway_alerts_received_total", source="alertmanager") == 2 * 20 + 3 * 2



async def _with_alerts(client, incident: str, count: int):
    state = await state_of(client, incident)
    return state if len(state.alerts) == count else None


async def test_a_second_group_is_a_second_incident(stack, time_env, recorder):
    one, two = (alertmanager_group(f"group-{uuid.uuid4().hex}") for _ in range(2))
    async with stack.http() as http:
        first = (await http.post("/webhooks/alertmanager", json=one)).json()
        second = (await http.post("/webhooks/alertmanager", json=two)).json()
    assert first["started"] and second["started"]
    assert first["incident_id"] != second["incident_id"]
    for incident in (first["incident_id"], second["incident_id"]):
        await wait_for(lambda incident=incident: len(primary_pages(recorder, incident)) == 1, "page")


async def test_alert_incident_pages_in_its_first_workflow_task(stack, time_env, recorder):
    """The gateway hands the policy snapshot over in the start input: no policy-loading activity before the
    first page (docs/performance.md)."""
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    async with stack.http() as http:
        incident = (await http.post("/webhooks/alertmanager", json=group)).json()["incident_id"]
    await wait_for(lambda: len(primary_pages(recorder, incident)) == 1, "page")

    events = (await time_env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident).fetch_history()).events
    scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name for e in events
                 if e.HasField("activity_task_scheduled_event_attributes")]
    assert "load_policy_snapshot" not in scheduled
    assert scheduled[0] == "page_responder"
    # the page is a command of the very first workflow task: scheduled before a second task starts
    page = next(i for i, e in enumerate(events) if e.HasField("activity_task_scheduled_event_attributes"))
    task_starts = [i for i, e in enumerate(events) if e.HasField("workflow_task_started_event_attributes")]
    assert task_starts[0] < page and (len(task_starts) == 1 or page < task_starts[1])


async def test_temporal_ui_list_shows_severity_service_and_title_of_alert_incidents(dev_client, task_queue, recorder):
    """Static summary and details, and the live current details (dev server: the time-skipping server keeps no
    user metadata)."""
    group = alertmanager_group(f"group-{uuid.uuid4().hex}", fingerprints=("f1", "f2"))
    async with running_worker(dev_client, task_queue, recorder):
        with served(address_of(dev_client), task_queue) as gateway:
            async with gateway.http() as http:
                incident = (await http.post("/webhooks/alertmanager", json=group)).json()["incident_id"]
        handle = dev_client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident)
        try:
            description = await handle.describe()
            assert await description.static_summary() == (
                "SEV1 payments: PaymentErrorRateHigh: Payment error rate above 5% for 5 minutes")
            details = await description.static_details()
            assert "- severity at start: sev1" in details and "- service: payments" in details
            assert "- alerts: 2 (PaymentErrorRateHigh)" in details
            await wait_for(lambda: len(primary_pages(recorder, incident)) == 1, "page")
            await handle.execute_update(IncidentWorkflow.decide, Acknowledge(by="minsu"))
            metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
            assert metadata.current_details.splitlines()[0] == "**SEV1** · triaged"
            assert "- acknowledged by: minsu" in metadata.current_details
            assert "- paged up to: primary (1 pages)" in metadata.current_details
        finally:
            await handle.terminate("test over")


async def test_resolved_snapshot_mitigates_and_refire_after_close_opens_a_new_incident(stack, time_env):
    key = f"group-{uuid.uuid4().hex}"
    sev3 = {"alertname": "ShopLatencyHigh", "service": "shop"}  # sev3: closing needs no postmortem

    def group(status="firing", fingerprints=("x", "y")):
        return alertmanager_group(key, status=status, fingerprints=fingerprints, **sev3)

    async with stack.http() as http:
        opened = await http.post("/webhooks/alertmanager", json=group())
        incident = opened.json()["incident_id"]
        await state_of(time_env.client, incident)
        resolved = await http.post("/webhooks/alertmanager", json=group("resolved"))
        assert resolved.status_code == 200 and resolved.json()["status"] == "accepted"

        async def mitigated():
            state = await state_of(time_env.client, incident)
            return state if state.phase.value == "mitigated" else None

        state = await wait_for(mitigated, "mitigated")
        assert all(a.status == "resolved" for a in state.alerts.values())
        assert "all alerts resolved; incident mitigated — a responder still resolves it" in [
            e.text for e in state.timeline]

        for kind in ("resolve", "close"):
            answer = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": kind, "by": "jiyoung"})
            assert answer.status_code == 200, answer.text
        handle = time_env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident)
        await wait_for(lambda: _completed(handle), "the closed incident's workflow to complete")

        # a resolved notification for a closed incident opens nothing
        late = await http.post("/webhooks/alertmanager", json=group("resolved", fingerprints=("x",)))
        assert late.json()["status"] == "ignored" and late.json()["incident_id"] is None
        assert not await exists(time_env.client, f"{incident}-2")

        refire = await http.post("/webhooks/alertmanager", json=group())
        assert refire.status_code == 200
        assert refire.json() == {"status": "accepted", "incident_id": f"{incident}-2", "started": True,
                                 "message": f"incident {incident}-2 opened"}
        new_state = await state_of(time_env.client, f"{incident}-2")
        assert new_state.phase.value == "detected" and new_state.id == f"{incident}-2"
        assert new_state.severity.value == "sev3" and new_state.service == "shop"
        # the old incident is still there under its own id, closed
        old = await http.get(f"/api/incidents/{incident}")
        assert old.status_code == 200 and old.json()["phase"] == "closed"


async def _completed(handle) -> bool:
    return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_pagerduty_trigger_acknowledge_resolve_drive_one_incident(stack, time_env, recorder):
    event = example("pagerduty-trigger.json")
    event["dedup_key"] = f"pd-{uuid.uuid4().hex}"
    async with stack.http() as http:
        triggered = await http.post("/webhooks/pagerduty", json=event)
        assert triggered.status_code == 202
        body = triggered.json()
        assert {k: body[k] for k in ("status", "message", "dedup_key")} == {
            "status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]}
        incident = body["incident_id"]
        state = await state_of(time_env.client, incident)
        assert state.title == "Login API 5xx above 10%" and state.service == "login"
        assert state.severity.value == "sev1"  # PagerDuty severity critical -> policy severity_values -> sev1

        ack = await http.post("/webhooks/pagerduty", json={**event, "event_action": "acknowledge", "payload": None})
        assert ack.status_code == 202 and ack.json()["incident_id"] == incident

        async def acknowledged():
            current = await state_of(time_env.client, incident)
            return current if current.acknowledged_by == "pagerduty" else None

        assert (await wait_for(acknowledged, "acknowledged")).phase.value == "triaged"

        resolve = await http.post("/webhooks/pagerduty", json={"routing_key": event["routing_key"],
                                                                "event_action": "resolve",
                                                                "dedup_key": event["dedup_key"]})
        assert resolve.status_code == 202 and resolve.json()["incident_id"] == incident

        async def resolved():
            current = await state_of(time_env.client, incident)
            return current if current.resolved_at is not None else None  # sev1 then waits for its postmortem

        final = await wait_for(resolved, "resolved")
        assert final.id == incident and final.phase.value in ("resolved", "postmortem")
        assert "pagerduty resolved the incident: resolved via PagerDuty Events API" in [e.text for e in final.timeline]
        assert [a.status for a in final.alerts.values()] == ["resolved"]  # not left showing it firing
        assert final.alerts[event["dedup_key"]].labels["service"] == "login"
        # the routing key never reached the workflow
        history = await time_env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident).fetch_history()
        assert event["routing_key"] not in history.to_json()

        generated = await http.post("/webhooks/pagerduty", json={**event, "dedup_key": None})
        assert generated.status_code == 202 and len(generated.json()["dedup_key"]) == 32
        assert generated.json()["incident_id"] != incident


class RecordedStarts(Interceptor):
    """Records what each of the gateway's signal-with-starts carried: (workflow id, policy?, UI summary?)."""

    def __init__(self) -> None:
        self.starts: list[tuple[str, bool, bool]] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        starts = self.starts

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input):
                starts.append((input.id, input.args[0].policy is not None, input.static_summary is not None))
                return await super().start_workflow(input)

        return Outbound(next)


async def test_later_notifications_of_a_running_incident_skip_the_start_input_temporal_ignores(
        time_env, task_queue, recorder):
    """Only the start that opens an incident carries the policy snapshot and the Temporal UI texts; later
    snapshots of the same incident (which Temporal only signals in) go without them, and change nothing."""
    recorded = RecordedStarts()
    key = f"group-{uuid.uuid4().hex}"
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, interceptors=[recorded]) as gateway:
            async with gateway.http() as http:
                first = await http.post("/webhooks/alertmanager", json=alertmanager_group(key, fingerprints=("f1",)))
                grown = await http.post("/webhooks/alertmanager",
                                        json=alertmanager_group(key, fingerprints=("f1", "f2")))
        incident = first.json()["incident_id"]
        assert (first.json()["started"], grown.json()["started"]) == (True, False)
        workflow_id = WORKFLOW_ID_PREFIX + incident
        assert recorded.starts == [(workflow_id, True, True), (workflow_id, False, False)]
        state = await state_of(time_env.client, incident)
        assert set(state.alerts) == {"f1", "f2"} and state.severity.value == "sev1"
        await wait_for(lambda: len(primary_pages(recorder, incident)) == 1, "the primary page")


class CompletedUnderTheStart(Interceptor):
    """The race the fuzz run met: a closing incident completes between the server finding it running and
    signalling it, and signal-with-start answers NOT_FOUND "Completed workflow". Armed, the next start of the
    given workflow id gets that answer (after the incident really completed)."""

    def __init__(self) -> None:
        self.armed_for: str | None = None

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        race = self

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input):
                if input.id == race.armed_for:
                    race.armed_for = None
                    raise RPCError("Completed workflow", RPCStatusCode.NOT_FOUND, b"")
                return await super().start_workflow(input)

        return Outbound(next)


async def test_a_firing_that_meets_its_incident_completing_opens_the_next_one(time_env, task_queue, recorder):
    race = CompletedUnderTheStart()
    key = f"group-{uuid.uuid4().hex}"
    sev3 = {"alertname": "ShopLatencyHigh", "service": "shop"}  # sev3: closing needs no postmortem
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, interceptors=[race]) as gateway:
            async with gateway.http() as http:
                opened = await http.post("/webhooks/alertmanager", json=alertmanager_group(key, **sev3))
                incident = opened.json()["incident_id"]
                await state_of(time_env.client, incident)
                for kind in ("resolve", "close"):
                    decision = {"kind": kind, "by": "jiyoung"}
                    answer = await http.post(f"/api/incidents/{incident}/decisions", json=decision)
                    assert answer.status_code == 200, answer.text
                handle = time_env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident)
                await wait_for(lambda: _completed(handle), "the closed incident's workflow to complete")
                race.armed_for = WORKFLOW_ID_PREFIX + incident
                refire = await http.post("/webhooks/alertmanager",
                                         json=alertmanager_group(key, fingerprints=("x", "y", "z"), **sev3))
        reopened = await state_of(time_env.client, f"{incident}-2")
    assert race.armed_for is None  # the race happened
    assert refire.status_code == 200, refire.text
    assert refire.json()["incident_id"] == f"{incident}-2" and refire.json()["started"] is True
    assert reopened.service == "shop" and set(reopened.alerts) == {"x", "y", "z"}
