"""The incidentflow worker: runs every workflow and activity. Same as `incident worker`."""

import asyncio
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflowservice.v1 import ResetStickyTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.learning import LedgerActivities
from activities.notify import NotificationActivities
from activities.oncall import OnCallActivities
from activities.policy_loader import load_policy_snapshot
from activities.remediation import RemediationActivities
from activities.runbook_loader import load_runbooks_snapshot
from adapters.channels import Channel, build_channels
from adapters.policy_files import load_policy
from adapters.stores.overrides import OverrideStore
from service.bounded import bounded
from service.connection import connect
from service.watchdog import watching
from settings import Settings, get_settings
from workflows.action_item import ActionItemWorkflow
from workflows.drill import DrillWorkflow
from workflows.handover import HandoverWorkflow
from workflows.incident import IncidentWorkflow
from workflows.oncall_report import OnCallReportWorkflow
from workflows.periodic import PeriodicCheckWorkflow
from workflows.postmortem import PostmortemWorkflow
from workflows.review import ReviewWorkflow
from workflows.runbook import RunbookWorkflow
from workflows.watchdog import WatchdogPageWorkflow

log = logging.getLogger("incidentflow.worker")

WORKFLOWS = [IncidentWorkflow, HandoverWorkflow, OnCallReportWorkflow, DrillWorkflow, RunbookWorkflow,
             PostmortemWorkflow, ActionItemWorkflow, ReviewWorkflow, WatchdogPageWorkflow, PeriodicCheckWorkflow]
WORKFLOW_TASK_SLOTS = 8
WORKER_DIED = "WorkerDied"  # the failure a starting worker gives an activity attempt that died with its worker
DEAD_ATTEMPT_RETRY_DELAY = timedelta(milliseconds=100)


def activities_for(channels: Sequence[Channel], client: Client | None = None,
                   overrides: OverrideStore | None = None, remediation: RemediationActivities | None = None,
                   learning: LedgerActivities | None = None) -> list:
    # Overrides are read at every page, so a new one reaches incidents that are already running.
    store = overrides or OverrideStore.from_settings()
    notifications = NotificationActivities(list(channels), store.load_for_paging)
    # `publish`: the old view path of incidents begun on v0.1 (workflows/incident_versions.py, docs/upgrading.md)
    found = [load_policy_snapshot, notifications.page_responder, notifications.notify, notifications.open_room,
             notifications.publish, notifications.publish_view]
    remediation = remediation or RemediationActivities(get_settings().runbook_endpoints)
    found += [load_runbooks_snapshot, remediation.run_action]
    found += (learning or LedgerActivities()).all()  # the ledger opens (and migrates) on first use
    if client is not None:
        oncall = OnCallActivities(client, store)
        found += [oncall.list_overrides, oncall.collect_incidents, oncall.followups]
    return found


def build_worker(client: Client, task_queue: str, channels: Sequence[Channel],
                 overrides: OverrideStore | None = None, remediation: RemediationActivities | None = None,
                 learning: LedgerActivities | None = None) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(channels, client, overrides, remediation, learning),
        # A stopping worker lets running activities (a ledger write, a page) finish instead of abandoning
        # them mid-flight until their start-to-close timeout.
        graceful_shutdown_timeout=timedelta(seconds=10),
        # A killed worker's sticky queue holds its workflows' next tasks until this runs out, delaying the
        # timers due while it was down (docs/reliability.md R1).
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
        # A restarted worker replays every workflow that gets a task: a few at a time each finishes quickly, the
        # rest wait on the server for whichever worker is up (docs/reliability.md R1).
        max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
        # DELIVERY's 5 s heartbeat timeout: send heartbeats at least every 2 s (default: 0.8 × the timeout)
        max_heartbeat_throttle_interval=timedelta(seconds=2),
        workflow_runner=sandboxed_runner(),
    )


def sandboxed_runner(passed_through: tuple[str, ...] | None = None) -> SandboxedWorkflowRunner:
    """Every module passed through (None): imported once and shared by all workflow runs, so new runs and replays
    stay cheap (docs/performance.md). Non-determinism (datetime.now(), random, os.environ in workflow code) is
    caught by ruff's banned-api rule on workflows/ and domain/ instead (pyproject.toml); builtins such as open()
    stay blocked."""
    restrictions = SandboxRestrictions.default
    if passed_through is None:
        return SandboxedWorkflowRunner(restrictions=restrictions.with_passthrough_all_modules())
    return SandboxedWorkflowRunner(restrictions=restrictions.with_passthrough_modules(*passed_through))


def build_replayer() -> Replayer:
    """Replays histories against this worker's workflows, sandboxed as the worker runs them
    (tests/integration/workflows/test_replay.py, bench/chaos/cold_update.py)."""
    return Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=sandboxed_runner())


async def running_executions(client: Client, task_queue: str) -> list[WorkflowExecution]:
    """The running workflows of the queue (empty, with a warning, when visibility does not answer)."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    try:
        return [WorkflowExecution(workflow_id=e.id, run_id=e.run_id) async for e in client.list_workflows(query)]
    except RPCError as exc:
        log.warning("running workflows not listed (%s): a dead worker's tasks and activity attempts wait out "
                    "their timeouts", exc)
        return []


async def release_sticky_queues(client: Client, executions: Sequence[WorkflowExecution], at_once: int = 20) -> int:
    """A worker that died without shutting down (SIGKILL, OOM, node loss) leaves its sticky task queue behind,
    where its workflows' next tasks would wait out the sticky schedule-to-start timeout. A starting worker, before
    it polls, sends every running workflow of its queue back to the task queue; other workers' cached workflows
    then take one replay each (docs/reliability.md R1)."""
    async def release(execution: WorkflowExecution) -> bool:
        request = ResetStickyTaskQueueRequest(namespace=client.namespace, execution=execution)
        try:
            await client.workflow_service.reset_sticky_task_queue(request, timeout=timedelta(seconds=5))
            return True
        except RPCError as exc:  # finished meanwhile, or the server is busy: the detour costs only time
            log.info("sticky queue of %s not released: %s", execution.workflow_id, exc)
            return False

    return sum(await bounded(at_once, [lambda e=e: release(e) for e in executions]))


def process_identity() -> str:
    """pid@host/nonce, this worker's identity in Temporal: the nonce tells a restarted worker from the one that
    died before it even when both got the same pid (pid 1 in a container)."""
    return f"{os.getpid()}@{socket.gethostname()}/{secrets.token_hex(4)}"


def _pid_and_host(identity: str) -> tuple[str, str]:
    pid, _, rest = identity.partition("@")
    return pid, rest.partition("/")[0]


def died_on_this_host(identity: str, mine: str) -> bool:
    """Whether a worker identity (pid@host, with or without a nonce) names a process of this host that is gone:
    its pid runs no more, or is ours while the identity is not. A live process, another host or a foreign
    identity format: not dead as far as we can tell."""
    (pid, host), (my_pid, my_host) = _pid_and_host(identity), _pid_and_host(mine)
    if identity == mine or not pid.isdigit() or host != my_host:
        return False
    if pid == my_pid:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


async def retry_attempts_of_dead_workers(client: Client, executions: Sequence[WorkflowExecution], identity: str,
                                         at_once: int = 20) -> int:
    """An activity attempt that died with its worker (a page half sent, a ledger write) is retried by Temporal
    only once its heartbeat timeout (DELIVERY: 5 s) or start-to-close timeout (a ledger write: 30 s) runs out.
    A starting worker fails each attempt that a dead worker process of this host had started, so the retry
    policy schedules the next one now (docs/reliability.md R1). Attempts of live workers and of other hosts are
    left alone. Returns how many attempts were failed."""
    async def retry(execution: WorkflowExecution) -> int:
        handle = client.get_workflow_handle(execution.workflow_id, run_id=execution.run_id)
        failed = 0
        try:
            description = (await handle.describe(rpc_timeout=timedelta(seconds=5))).raw_description
            for pending in description.pending_activities:
                if (pending.state != PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                        or not died_on_this_host(pending.last_worker_identity, identity)):
                    continue
                attempt = client.get_async_activity_handle(workflow_id=execution.workflow_id,
                                                           run_id=execution.run_id, activity_id=pending.activity_id)
                await attempt.fail(ApplicationError(
                    f"worker {pending.last_worker_identity} died during attempt {pending.attempt}",
                    type=WORKER_DIED, next_retry_delay=DEAD_ATTEMPT_RETRY_DELAY), rpc_timeout=timedelta(seconds=5))
                failed += 1
        except RPCError as exc:  # finished or timed out meanwhile: Temporal retries it on its own
            log.info("activity attempts of %s not retried: %s", execution.workflow_id, exc)
        return failed

    return sum(await bounded(at_once, [lambda e=e: retry(e) for e in executions]))


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    policy = load_policy(settings.policy_dir)  # a broken policy never starts a worker silently
    from observability.telemetry import WorkerTelemetry

    telemetry = WorkerTelemetry(settings)  # /metrics and tracing (docs/deploy.md)
    identity = process_identity()
    client = await connect(settings, identity=identity, **telemetry.connect_options())
    await sync_schedules(client, policy, settings.task_queue)
    channels = build_channels(settings.channels, settings.record_file, settings)
    worker = build_worker(client, settings.task_queue, channels)
    executions = await running_executions(client, settings.task_queue)
    released = await release_sticky_queues(client, executions)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker ready: %s namespace=%s queue=%s channels=%s (%d running workflows sent to the task queue)",
             settings.temporal_address, settings.temporal_namespace, settings.task_queue,
             ",".join(settings.channels), released)
    # the watchdog pages for incidents whose workflow keeps failing (docs/reliability.md, Watchdog)
    async with worker, telemetry.serve(client, settings.task_queue), watching(client, settings.task_queue):
        # once polling: before it, these describes would hold up the replays the restart is waiting for
        retried = await retry_attempts_of_dead_workers(client, executions, identity)
        if retried:
            log.info("%d activity attempt(s) of a dead worker retried now instead of at their timeouts", retried)
        await stop.wait()
    log.info("worker stopped")


async def run_tool_worker(task_queue: str, settings: Settings | None = None) -> None:
    """A worker that only runs remediation steps, for a host where a tool lives: runbook actions with
    `task_queue: <name>` run here (docs/deploy.md). It runs no workflows and never pages."""
    settings = settings or get_settings()
    client = await connect(settings)
    worker = Worker(client, task_queue=task_queue,
                    activities=[RemediationActivities(settings.runbook_endpoints).run_action],
                    graceful_shutdown_timeout=timedelta(seconds=10))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("tool worker ready: %s queue=%s", settings.temporal_address, task_queue)
    async with worker:
        await stop.wait()
    log.info("tool worker stopped")


async def sync_schedules(client: Client, policy, task_queue: str) -> None:
    """The handover and report bots' schedules; a failure is logged, it never keeps incidents from paging."""
    from service.schedules import ensure_schedules

    try:
        for sync in await ensure_schedules(client, policy, task_queue):
            log.info("schedule %s %s (%s)", sync.id, sync.action, sync.when)
    except Exception as exc:  # degraded, not down: pages do not depend on the schedules
        log.warning("could not create the on-call schedules (%s: %s); run `incident schedules sync` to retry",
                    type(exc).__name__, exc)


def main() -> None:
    from adapters.policy_files import PolicyError
    from cli.startup import start_process

    start_process()  # private data files, operator log levels, settings checked (one line, exit 2)

    try:
        asyncio.run(run_worker())
    except PolicyError as exc:
        print("error: the policy is invalid; the worker does not start:\n" + str(exc), file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
