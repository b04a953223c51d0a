"""R6: record histories of representative runs into tests/histories/*.json, which
tests/integration/workflows/test_replay.py replays against the current workflow code in every test
run (docs/upgrading.md).

    python -m bench.chaos.record_histories            # re-record (only when a release changes workflows)
    python -m bench.chaos.record_histories alerts-flapping   # one scenario

Each scenario keeps the history of every workflow it involves (a runbook run, a postmortem, an action item
and a drill are workflows of their own) as `<scenario>.<role>.json`, with the workflow id next to the events:
a child's commands carry ids derived from its parent's id, so replay must use the recorded one.
"""

import asyncio
import json
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from adapters.channels import RecordingChannel
from domain.incident import decisions as d
from domain.incident.severity import Severity
from service.incident_reader import run_histories
from settings import PROJECT_DIR
from testkit.helpers import running_worker, start_incident
from workflows.incident import IncidentWorkflow

HISTORIES = PROJECT_DIR / "tests" / "histories"


# A scenario runs its worker and yields, while it still runs, the workflows to keep by role.
Scenario = Callable[[WorkflowEnvironment, str], AbstractAsyncContextManager[dict[str, WorkflowHandle]]]
Kept = AsyncIterator[dict[str, WorkflowHandle]]


@asynccontextmanager
async def declare_to_resolve(env, task_queue: str) -> Kept:
    async with running_worker(env.client, task_queue, RecordingChannel()):
        handle = await start_incident(env.client, task_queue, Severity.SEV2, id="hist-declare-resolve",
                                      title="Login latency", service="auth", declared_by="minsu")
        await env.sleep(timedelta(minutes=2))
        for decision in (d.Acknowledge(by="minsu"), d.AddNote(by="minsu", text="rolled back auth-api 1.42"),
                         d.StartMitigation(by="minsu"), d.MarkMitigated(by="minsu"),
                         d.Resolve(by="minsu", summary="bad deploy rolled back")):
            await handle.execute_update(IncidentWorkflow.decide, decision)
        await env.sleep(timedelta(minutes=1))
        yield {"incident": handle}


@asynccontextmanager
async def full_escalation(env, task_queue: str) -> Kept:
    async with running_worker(env.client, task_queue, RecordingChannel()):
        handle = await start_incident(env.client, task_queue, Severity.SEV1, id="hist-full-escalation",
                                      title="Matchmaking down", service="matchmaking", declared_by="alertmanager")
        await env.sleep(timedelta(minutes=65))  # nobody answers: primary → secondary → tertiary → executive
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="cto"))
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="cto", summary="restarted the matchmaker"))
        yield {"incident": handle}


@asynccontextmanager
async def runbook_approval_rollback(env, task_queue: str) -> Kept:
    """The high-latency runbook: two approved steps, the verification fails, both are rolled back."""
    from testkit.runbooks import (
        LATENCY,
        gate_state,
        open_alert_incident,
        remediation_worker,
        run_status,
        served_fakes,
        wait_for_state,
    )

    with served_fakes() as fakes:
        fakes.prometheus.rules["http_request_duration_seconds_bucket"] = [2.5]  # p99 stays bad
        async with remediation_worker(env.client, task_queue, RecordingChannel(), fakes.endpoints):
            handle = await open_alert_incident(env.client, task_queue, LATENCY, service="game-api",
                                               id="hist-runbook")
            for step in ("rate-limit", "scale-out"):
                await wait_for_state(handle, lambda s, step=step: gate_state(s, "high-latency", step) == "waiting",
                               f"{step} to wait for approval")
                await handle.execute_update(IncidentWorkflow.decide, d.ApproveStep(by="alice", step=step))
            await env.sleep(timedelta(minutes=6))  # the 5-minute verification window passes
            state = await wait_for_state(handle, lambda s: run_status(s, "high-latency") not in (None, "running"),
                                   "the rollback")
            if run_status(state, "high-latency") != "rolled_back":
                raise RuntimeError(f"high-latency ended {run_status(state, 'high-latency')}, not rolled_back")
            runbook = env.client.get_workflow_handle(state.runbooks[0].workflow_id)
            yield {"incident": handle, "runbook": runbook}


@asynccontextmanager
async def postmortem_action_items(env, task_queue: str) -> Kept:
    """A Sev1 resolved, its postmortem drafted and published (closing the incident), two action items: one
    reminded on its due date and nagged a week later, then done; the other done before it was due."""
    from activities.learning import LedgerActivities
    from adapters.policy_files import load_policy
    from adapters.stores.ledger import Ledger
    from service.action_items import add_action_item, complete_action_item
    from settings import get_settings
    from testkit.postmortems import postmortem_of
    from worker import build_worker
    from workflows.action_item import ActionItemWorkflow, action_workflow_id
    from workflows.postmortem import PostmortemWorkflow, Publish

    data_dir = Path(tempfile.mkdtemp(prefix="incidentflow-histories-ledger-"))
    ledger = Ledger(f"sqlite:///{data_dir / 'ledger.sqlite3'}")  # fresh: action items are #1 and #2
    policy = load_policy(get_settings().policy_dir)
    learning = LedgerActivities(ledger, data_dir)
    try:
        async with build_worker(env.client, task_queue, [RecordingChannel()], learning=learning):
            incident = await start_incident(env.client, task_queue, Severity.SEV1, id="hist-postmortem",
                                            title="Payment errors", service="payments", declared_by="jiyoung")
            for decision in (d.Acknowledge(by="jiyoung"), d.AssignRole(role="ic", to="jiyoung", by="jiyoung"),
                             d.AddNote(by="jiyoung", text="rolled back payment-gateway 1.4.2"),
                             d.Resolve(by="jiyoung", summary="bad deploy rolled back")):
                await incident.execute_update(IncidentWorkflow.decide, decision)
            state, postmortem = await postmortem_of(env, incident)

            now = await env.get_current_time()
            today = now.astimezone(ZoneInfo(policy.incident.timezone)).date()
            items = [await add_action_item(env.client, task_queue, ledger, policy, state.id, title, owner,
                                           today + timedelta(days=days), "short", "jiyoung", now)
                     for title, owner, days in (("Add a payment canary", "jiyoung", 2),
                                                ("Alert on provider error rate", "minsu", 30))]
            await postmortem.execute_update(PostmortemWorkflow.publish, Publish(by="jiyoung", root_cause="deploy"))
            await incident.result()  # publishing closed it

            first = env.client.get_workflow_handle_for(ActionItemWorkflow.run, action_workflow_id(items[0]))
            due = (await first.query(ActionItemWorkflow.status)).next_reminder_at
            await env.sleep(due - now + timedelta(days=7, minutes=1))  # due-date reminder, then a weekly nag
            reminded = await first.query(ActionItemWorkflow.status)
            if reminded.reminders_sent != 2:
                raise RuntimeError(f"action item #{items[0].id}: {reminded.reminders_sent} reminders, expected 2")
            later = await env.get_current_time()
            handles = {}
            for number, item in enumerate(items, 1):
                await complete_action_item(env.client, ledger, item.id, item.owner, later)
                handles[f"action-item-{number}"] = env.client.get_workflow_handle(action_workflow_id(item))
                await handles[f"action-item-{number}"].result()
            yield {"incident": incident, "postmortem": postmortem, **handles}
    finally:
        ledger.dispose()


@asynccontextmanager
async def drill(env, task_queue: str) -> Kept:
    """drills/payment-outage-unanswered.yaml played instantly: the drill and its incident (simulated runbook)."""
    from cli.drill_runner import load_scenario, play
    from domain.drills.playback import DrillRequest
    from workflows.drill import DRILL_ID_PREFIX
    from workflows.incident import WORKFLOW_ID_PREFIX

    item = load_scenario(PROJECT_DIR / "drills" / "payment-outage-unanswered.yaml")
    async with running_worker(env.client, task_queue, RecordingChannel()):
        card = await play(env.client, task_queue, DrillRequest(
            scenario=item.scenario, incident_id="hist-drill", policy_dir=item.policy_dir))
        if not card.passed:
            raise RuntimeError(f"drill failed: {[e for e in card.expectations if not e.passed]}")
        yield {"drill": env.client.get_workflow_handle(DRILL_ID_PREFIX + "hist-drill"),
               "incident": env.client.get_workflow_handle(WORKFLOW_ID_PREFIX + "hist-drill")}


@asynccontextmanager
async def alerts_flapping(env, task_queue: str) -> Kept:
    """An alert incident that mitigates itself, waits past its acknowledgement deadline, fires again (reopened,
    paged again), is acknowledged, flaps once more and is resolved: the `alerts-recover-and-refire` path."""
    from domain.alerts.handling import AlertSnapshot
    from domain.incident.state import Alert

    def snapshot(status: str) -> AlertSnapshot:
        alert = Alert(fingerprint="friends-api", status=status,
                      labels={"alertname": "FriendsApiErrors", "service": "friends", "severity": "warning"},
                      annotations={"summary": "friend list 5xx above 5%"})
        return AlertSnapshot(source="alertmanager", alerts=[alert])

    async with running_worker(env.client, task_queue, RecordingChannel()):
        handle = await start_incident(env.client, task_queue, None, id="hist-alerts-flapping", source="alertmanager",
                                      title="FriendsApiErrors", service="friends", declared_by="alertmanager",
                                      alerts=snapshot("firing").alerts)
        for status, then in (("resolved", 20), ("firing", 2), ("resolved", 3), ("firing", 1)):
            await handle.signal(IncidentWorkflow.alerts, snapshot(status))
            await env.sleep(timedelta(minutes=then))
            if status == "firing" and then == 2:
                await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="jiyoung"))
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="jiyoung", summary="flaky dependency"))
        await env.sleep(timedelta(minutes=1))
        # a long incident continues as new: keep every run (each replays on its own)
        runs = await run_histories(env.client, handle.id)
        yield {f"incident-run{n}": env.client.get_workflow_handle(handle.id, run_id=history.run_id)
               for n, history in enumerate(runs, 1)}


SCENARIOS: dict[str, Scenario] = {
    "declare-to-resolve": declare_to_resolve,
    "full-escalation": full_escalation,
    "runbook-approval-rollback": runbook_approval_rollback,
    "postmortem-action-items": postmortem_action_items,
    "drill": drill,
    "alerts-flapping": alerts_flapping,
}


@dataclass
class Written:
    path: Path
    workflow_type: str
    events: int


async def record(names: list[str] | None = None) -> list[Written]:
    # Always a fresh data dir: never a developer's ledger, and fixed incident ids never meet an earlier run.
    os.environ["INCIDENTFLOW_DATA_DIR"] = tempfile.mkdtemp(prefix="incidentflow-histories-")
    from testkit.environment import register_search_attributes, venv_binary

    HISTORIES.mkdir(parents=True, exist_ok=True)
    # The test server lacks capabilities the SDK core warns about at every worker start.
    runtime = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=TelemetryFilter("ERROR", "ERROR"))))
    written = []
    for name in names or list(SCENARIOS):
        # A server per scenario: one scenario's leftovers (a postmortem outliving its incident, an activity
        # still scheduled when its workflow was terminated) would stop the server from skipping time.
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=pydantic_data_converter, test_server_existing_path=venv_binary("temporal-test-server"),
            runtime=runtime)
        try:
            await register_search_attributes(env.client)
            async with SCENARIOS[name](env, f"hist-{name}") as kept:
                for role, handle in kept.items():
                    written.append(await write_history(handle, HISTORIES / f"{name}.{role}.json"))
        finally:
            await env.shutdown()
    return written


async def write_history(handle: WorkflowHandle, path: Path) -> Written:
    history = await handle.fetch_history()
    document = {"workflowId": history.workflow_id, **history.to_json_dict()}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    started = history.events[0].workflow_execution_started_event_attributes
    return Written(path, started.workflow_type.name, len(history.events))


def main() -> None:
    logging.getLogger("temporalio").setLevel(logging.ERROR)  # the scenarios' failing steps are scripted
    written = asyncio.run(record(sys.argv[1:] or None))
    for w in written:
        print(f"wrote {w.path.relative_to(PROJECT_DIR)}: {w.workflow_type}, {w.events} events "
              f"({w.path.stat().st_size // 1024} KiB)", flush=True)
    print(f"{len(written)} workflow histories from {len(SCENARIOS)} scenarios", flush=True)
    os._exit(0)  # the Temporal SDK can abort at interpreter exit


if __name__ == "__main__":
    main()
