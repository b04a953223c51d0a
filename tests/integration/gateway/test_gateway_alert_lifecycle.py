"""Alert webhooks over an incident's life, through the real app over loopback and a real Temporal server
(time-skipping): resolved alerts mitigate, a firing after close opens a new incident (also when it meets the
incident completing), and PagerDuty trigger/acknowledge/resolve drive one incident."""

import uuid

from temporalio.client import Interceptor, OutboundInterceptor, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from testkit.gateway import address_of, alertmanager_group, example, exists, served, state_of
from testkit.helpers import running_worker
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX


async def test_resolved_snapshot_mitigates_and_refire_after_close_opens_a_new_incident(alert_gateway, time_env):
    key = f"group-{uuid.uuid4().hex}"
    sev3 = {"alertname": "ShopLatencyHigh", "service": "shop"}  # sev3: closing needs no postmortem

    def group(status="firing", fingerprints=("x", "y")):
        return alertmanager_group(key, status=status, fingerprints=fingerprints, **sev3)

    async with alert_gateway.http() as http:
        opened = await http.post("/webhooks/alertmanager", json=group())
        incident = opened.json()["incident_id"]
        await state_of(time_env.client, incident)
        resolved = await http.post("/webhooks/alertmanager", json=group("resolved"))
        assert resolved.status_code == 200 and resolved.json()["status"] == "accepted"

        async def mitigated():
            state = await state_of(time_env.client, incident)
            return state if state.phase.value == "mitigated" else None

        state = await wait_until(mitigated, "mitigated")
        assert all(a.status == "resolved" for a in state.alerts.values())
        assert "all alerts resolved; incident mitigated — a responder still resolves it" in [
            e.text for e in state.timeline]

        for kind in ("resolve", "close"):
            answer = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": kind, "by": "jiyoung"})
            assert answer.status_code == 200, answer.text
        handle = time_env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident)
        await wait_until(lambda: _completed(handle), "the closed incident's workflow to complete")

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


async def test_pagerduty_trigger_acknowledge_resolve_drive_one_incident(alert_gateway, time_env, recorder):
    event = example("pagerduty-trigger.json")
    event["dedup_key"] = f"pd-{uuid.uuid4().hex}"
    async with alert_gateway.http() as http:
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

        assert (await wait_until(acknowledged, "acknowledged")).phase.value == "triaged"

        resolve = await http.post("/webhooks/pagerduty", json={"routing_key": event["routing_key"],
                                                                "event_action": "resolve",
                                                                "dedup_key": event["dedup_key"]})
        assert resolve.status_code == 202 and resolve.json()["incident_id"] == incident

        async def resolved():
            current = await state_of(time_env.client, incident)
            return current if current.resolved_at is not None else None  # sev1 then waits for its postmortem

        final = await wait_until(resolved, "resolved")
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
                await wait_until(lambda: _completed(handle), "the closed incident's workflow to complete")
                race.armed_for = WORKFLOW_ID_PREFIX + incident
                refire = await http.post("/webhooks/alertmanager",
                                         json=alertmanager_group(key, fingerprints=("x", "y", "z"), **sev3))
        reopened = await state_of(time_env.client, f"{incident}-2")
    assert race.armed_for is None  # the race happened
    assert refire.status_code == 200, refire.text
    assert refire.json()["incident_id"] == f"{incident}-2" and refire.json()["started"] is True
    assert reopened.service == "shop" and set(reopened.alerts) == {"x", "y", "z"}
