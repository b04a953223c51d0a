"""The watchdog: finds running incidents whose workflow task keeps failing (service/failing.py) and pages
the current primary once per failure episode through WatchdogPageWorkflow (workflows/watchdog.py), a path
that needs nothing of the broken incident workflow. Every worker process runs one beside its worker
(worker.py); Temporal's workflow-id uniqueness keeps them, and restarts, to one page per episode. Cadence and
cost: docs/reliability.md, "Watchdog"."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from observability import metrics
from service.bounded import bounded
from service.failing import REPORTED_PROBLEMS, FailingIncident, failing_incident
from workflows.watchdog import WatchdogPage, WatchdogPageWorkflow

log = logging.getLogger("incidentflow.watchdog")

# A cheap sweep often, a full one now and then for servers that do not set TemporalReportedProblems:
# docs/reliability.md, "Watchdog" (detection and cadence).
INTERVAL = timedelta(seconds=30)
FULL_SWEEP_EVERY = 4
# Page only for a failure that lasted this long and two sweeps saw (a killed worker recovers sooner), still
# before a Sev1's first escalation: docs/reliability.md, "Watchdog".
PAGE_AFTER = timedelta(seconds=60)
AT_ONCE = 10
RPC_TIMEOUT = timedelta(seconds=5)


class Watchdog:
    def __init__(self, client: Client, task_queue: str, interval: timedelta = INTERVAL,
                 page_after: timedelta = PAGE_AFTER, full_sweep_every: int = FULL_SWEEP_EVERY,
                 at_once: int = AT_ONCE):
        self.client = client
        self.task_queue = task_queue
        self.interval = interval
        self.page_after = page_after
        self.full_sweep_every = full_sweep_every
        self.at_once = at_once
        self.failing: dict[str, FailingIncident] = {}  # workflow id → as found by the last sweep
        self._paged: set[str] = set()  # episodes whose page workflow this process started or found
        self._reported = True  # False once the server refused the TemporalReportedProblems query
        self._sweeps = 0

    def _query(self) -> str:
        return (f"WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' "
                f"AND TaskQueue = '{self.task_queue}'")

    async def _listed(self, query: str) -> set[str]:
        """Workflow ids; drills (child workflows of a drill) page nobody and are left out."""
        return {e.id async for e in self.client.list_workflows(query, rpc_timeout=RPC_TIMEOUT) if not e.parent_id}

    async def _reported_problems(self) -> set[str]:
        if not self._reported:
            return set()
        try:
            return await self._listed(f"{self._query()} AND {REPORTED_PROBLEMS.name} IS NOT NULL")
        except RPCError as exc:
            if exc.status != RPCStatusCode.INVALID_ARGUMENT:
                raise
            log.info("this Temporal server has no %s (%s): full sweeps only", REPORTED_PROBLEMS.name, exc)
            self._reported = False
            return set()

    async def sweep(self, full: bool = True) -> list[FailingIncident]:
        """Find the failing incidents, set the gauge, page for each episode that has lasted `page_after`."""
        ids = set(self.failing) | await self._reported_problems()
        if full:
            ids |= await self._listed(self._query())
        ordered = sorted(ids)
        checked = await bounded(self.at_once, [lambda i=i: self._check(i) for i in ordered])
        seen_before = {f.failing.episode for f in self.failing.values()}
        self.failing = {workflow_id: f for workflow_id, f in zip(ordered, checked, strict=True) if f is not None}
        metrics.watchdog_swept(len(self.failing))
        self._paged &= {f.failing.episode for f in self.failing.values()}  # an episode that ended never comes back
        for incident in self.failing.values():
            if incident.failing.episode in seen_before:  # still failing a sweep later, while this worker was up
                await self._page(incident)
        return list(self.failing.values())

    async def _check(self, workflow_id: str) -> FailingIncident | None:
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
            if description.status != WorkflowExecutionStatus.RUNNING:
                return None
            return await failing_incident(self.client, handle, description)
        except RPCError as exc:  # closed meanwhile, or the server is busy: the next sweep looks again
            log.info("incident %s not checked: %s", workflow_id, exc)
        except Exception as exc:  # one unreadable incident must not blind the watchdog to the others
            log.warning("incident %s not checked: %s: %s", workflow_id, type(exc).__name__, exc)
        return None

    async def _page(self, incident: FailingIncident) -> None:
        state, failing = incident.state, incident.failing
        if failing.episode in self._paged or state.drill or not state.phase.is_open:
            return  # a resolved incident has nobody left to escalate to: listed and counted, not paged
        if datetime.now(UTC) - failing.since < self.page_after:
            return
        page = WatchdogPage(incident_id=state.id, title=state.title, service=state.service, severity=state.severity,
                            since=failing.since, failures=failing.failures, cause=failing.cause,
                            episode=failing.episode, policy_dir=incident.policy_dir)
        try:
            # A failed page run may be tried again by the next sweep; a completed one never is.
            await self.client.start_workflow(
                WatchdogPageWorkflow.run, page, id=page.workflow_id(), task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                static_summary=f"watchdog page: incident {state.id} failing since {failing.since:%H:%M:%S} UTC",
                rpc_timeout=RPC_TIMEOUT)
            log.warning("incident %s: workflow task failing since %s (%d in a row: %s); paging the primary (%s)",
                        state.id, failing.since, failing.failures, failing.cause, page.workflow_id())
        except WorkflowAlreadyStartedError:
            pass  # paged already: by another worker, or by this one before a restart
        self._paged.add(failing.episode)

    async def run(self) -> None:
        """Sweeps every `interval`, the first one `interval` after the start: a restarted worker first catches
        up with the tasks that waited for it (R1: seconds), which must not look like failures."""
        while True:
            await asyncio.sleep(self.interval.total_seconds())
            try:
                await self.sweep(full=self._sweeps % self.full_sweep_every == 0)
            except Exception:  # the watchdog must outlive whatever broke one sweep
                log.exception("watchdog sweep failed; next one in %s", self.interval)
            self._sweeps += 1


@contextlib.asynccontextmanager
async def watching(client: Client, task_queue: str, **options) -> AsyncIterator[Watchdog]:
    """The watchdog running in the background for as long as the block runs."""
    watchdog = Watchdog(client, task_queue, **options)
    task = asyncio.create_task(watchdog.run(), name="incidentflow-watchdog")
    try:
        yield watchdog
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
