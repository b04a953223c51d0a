"""Alert webhooks -> incident workflows, through the real app over loopback and a real Temporal server
(time-skipping): one group is one incident with one primary page however often it is sent, a second
group is a second incident, the first page goes out in the first workflow task, and only the start that
opens an incident carries the policy and the Temporal UI texts."""

import asyncio
import uuid

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Interceptor, OutboundInterceptor

from domain.incident.decisions import Acknowledge
from gateway.mapping import incident_key
from testkit.gateway import address_of, alertmanager_group, primary_pages, served, state_of, state_with_alerts
from testkit.helpers import running_worker
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow


async def test_one_group_sent_20_times_and_concurrently_is_one_incident_with_one_page(alert_gateway, time_env,
                                                                                      recorder):
    group = alertmanager_group(f"group-{uuid.uuid4().hex}", fingerprints=("f1", "f2"))
    async with alert_gateway.http() as http:
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
    state = await wait_until(lambda: state_with_alerts(time_env.client, incident, 3), "third alert")
    assert state.source == "alertmanager" and state.severity.value == "sev1"  # policy: service payments -> sev1
    assert [e.text for e in state.timeline if e.kind == "alert"] == ["firing: PaymentErrorRateHigh: "
                                                                     "Payment error rate above 5% for 5 minutes"]
    await wait_until(lambda: len(primary_pages(recorder, incident)) >= 1, "the primary page")
    await asyncio.sleep(0.5)  # a second page would have gone out by now
    assert len(primary_pages(recorder, incident)) == 1
    assert alert_gateway.metric("incidentflow_gateway_incidents_started_total", source="alertmanager") == 1
    assert alert_gateway.metric("incidentflow_gateway_dedup_hits_total", source="alertmanager") == 20
    assert alert_gateway.metric("incidentflow_gateway_alerts_received_total", source="alertmanager") == 2 * 20 + 3 * 2



async def test_a_second_group_is_a_second_incident(alert_gateway, time_env, recorder):
    one, two = (alertmanager_group(f"group-{uuid.uuid4().hex}") for _ in range(2))
    async with alert_gateway.http() as http:
        first = (await http.post("/webhooks/alertmanager", json=one)).json()
        second = (await http.post("/webhooks/alertmanager", json=two)).json()
    assert first["started"] and second["started"]
    assert first["incident_id"] != second["incident_id"]
    for incident in (first["incident_id"], second["incident_id"]):
        await wait_until(lambda incident=incident: len(primary_pages(recorder, incident)) == 1, "page")


async def test_alert_incident_pages_in_its_first_workflow_task(alert_gateway, time_env, recorder):
    """The gateway hands the policy snapshot over in the start input: no policy-loading activity before the
    first page (docs/performance.md)."""
    group = alertmanager_group(f"group-{uuid.uuid4().hex}")
    async with alert_gateway.http() as http:
        incident = (await http.post("/webhooks/alertmanager", json=group)).json()["incident_id"]
    await wait_until(lambda: len(primary_pages(recorder, incident)) == 1, "page")

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
            await wait_until(lambda: len(primary_pages(recorder, incident)) == 1, "page")
            await handle.execute_update(IncidentWorkflow.decide, Acknowledge(by="minsu"))
            metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
            assert metadata.current_details.splitlines()[0] == "**SEV1** · triaged"
            assert "- acknowledged by: minsu" in metadata.current_details
            assert "- paged up to: primary (1 pages)" in metadata.current_details
        finally:
            await handle.terminate("test over")


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
        await wait_until(lambda: len(primary_pages(recorder, incident)) == 1, "the primary page")
