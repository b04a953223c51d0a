"""A runbook action can run on a dedicated task queue, served by `incident tool-worker` where the tool lives."""

import shutil
import uuid

import yaml
from temporalio.api.enums.v1 import EventType
from temporalio.worker import Worker

from activities.remediation import RemediationActivities
from testkit.runbooks import (
    RUNBOOK_DIR,
    gate_state,
    open_alert_incident,
    remediation_worker,
    served_fakes,
    wait_for_state,
)


async def test_an_action_with_a_task_queue_runs_on_the_tool_worker(time_env, task_queue, recorder, tmp_path):
    tools_queue = f"tools-{uuid.uuid4().hex[:6]}"
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    shutil.copy(RUNBOOK_DIR / "allowlist.yaml", runbooks / "allowlist.yaml")
    book = yaml.safe_load((RUNBOOK_DIR / "leaderboard-errors.yaml").read_text(encoding="utf-8"))
    book["steps"][0]["task_queue"] = tools_queue  # the read-only health check runs where the tool lives
    (runbooks / "leaderboard-errors.yaml").write_text(yaml.safe_dump(book), encoding="utf-8")

    with served_fakes() as fakes:
        tool_worker = Worker(time_env.client, task_queue=tools_queue,
                             activities=[RemediationActivities(fakes.endpoints).run_action])
        async with tool_worker, remediation_worker(time_env.client, task_queue, recorder, fakes.endpoints):
            handle = await open_alert_incident(
                time_env.client, task_queue, {"alertname": "LeaderboardErrors", "service": "leaderboard"},
                service="leaderboard", runbook_dir=runbooks,
            )
            state = await wait_for_state(
                handle, lambda s: gate_state(s, "leaderboard-errors", "flush-cache") == "waiting",
                "the health check to pass and the flush to wait for approval")
            child = time_env.client.get_workflow_handle(state.runbooks[0].workflow_id)
            history = await child.fetch_history()
    queues = {
        event.activity_task_scheduled_event_attributes.task_queue.name
        for event in history.events if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    assert queues == {tools_queue}  # the only action so far: the health check, on the tool worker's queue
    assert any("✓ check-leaderboard-health" in e.text for e in state.timeline)
