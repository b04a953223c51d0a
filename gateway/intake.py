"""Alert groups and PagerDuty actions -> incident workflows.

Incident ids and runs: an alert group's incidents are `am-<hash>`, `am-<hash>-2`, `am-<hash>-3`, … — one
workflow id per incident (`incident-<id>`), so `incident show ID` and `GET /api/incidents/ID` find every
one of them, closed ones included. A firing notification goes by signal-with-start to the group's current
generation with `USE_EXISTING` (running: the signal joins it) and `REJECT_DUPLICATE` (closed: Temporal
refuses, and we move on to the next generation, which opens a new incident). The current generation is
cached per key; after a gateway restart it is found again by probing, one call per closed incident.
Resolved-only notifications and PagerDuty acknowledge/resolve never start anything: they go to the running
incident of the group, or nowhere.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.decisions import Decision
from domain.policy import Policy
from gateway.dedup import Deduplicator
from gateway.mapping import AlertGroup, generation_id
from gateway.metrics import Metrics
from gateway.temporal import RPC_TIMEOUT, TemporalConnection, unavailable_as
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

# More closed incidents than this for one alert group means something is wrong with the key, not the world.
MAX_GENERATIONS = 10_000


class Delivery(BaseModel):
    outcome: Literal["started", "signalled", "no_incident"]
    incident_id: str | None = None

    @property
    def started(self) -> bool:
        return self.outcome == "started"


class AlertIntake:
    def __init__(self, connection: TemporalConnection, task_queue: str, metrics: Metrics, window_seconds: float,
                 policy: Callable[[], Policy | None] = lambda: None):
        self.connection = connection
        self.policy = policy
        self.task_queue = task_queue
        self.metrics = metrics
        self.dedup: Deduplicator[Delivery] = Deduplicator(window_seconds)
        self._generation: dict[str, int] = {}
        self._runs_seen: set[str | None] = set()

    async def deliver(self, group: AlertGroup) -> tuple[Delivery, bool]:
        """Send one alert-group snapshot; returns (delivery, duplicate)."""
        self.metrics.alerts_received.labels(group.source).inc(len(group.alerts))
        return await self._once(group.source, group.key, group.digest(), lambda: self._send_snapshot(group))

    async def decide(self, source: str, key: str, decision: Decision) -> tuple[Delivery, bool]:
        """A decision from a monitoring system (PagerDuty acknowledge/resolve) for the group's open incident."""
        return await self._once(source, f"{key}/decision", f"{key}/{decision.kind}",
                                lambda: self._send_decision(key, decision))

    async def _once(self, source: str, key: str, digest: str,
                    call: Callable[[], Awaitable[Delivery]]) -> tuple[Delivery, bool]:
        delivery, shared = await self.dedup.run(key, digest, call)
        if shared:
            self.metrics.dedup_hits.labels(source).inc()
        return delivery, shared

    # ── Temporal calls ───────────────────────────────────────────────────────────────────────────────
    async def _send_snapshot(self, group: AlertGroup) -> Delivery:
        if not group.firing:
            handle = await self._running(group.key)
            if handle is None:
                return Delivery(outcome="no_incident")
            return await self._signal(handle, IncidentWorkflow.alerts, group.snapshot(datetime.now(UTC)))

        client = await self.connection.client()
        generation = self._generation.get(group.key, 1)
        policy = self.policy()
        while generation <= MAX_GENERATIONS:
            incident_id = generation_id(group.key, generation)
            start = group.start(incident_id, policy)
            try:
                with unavailable_as(self.connection):
                    handle = await client.start_workflow(
                        IncidentWorkflow.run, start, id=WORKFLOW_ID_PREFIX + incident_id, task_queue=self.task_queue,
                        start_signal="alerts", start_signal_args=[group.snapshot(datetime.now(UTC))],
                        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        static_summary=start.ui_summary(), static_details=start.ui_details(),
                        rpc_timeout=RPC_TIMEOUT,
                    )
            except WorkflowAlreadyStartedError:
                generation += 1  # that incident is closed: the firing opens the next one
                continue
            self._generation[group.key] = generation
            started = self._started(handle)
            if started:
                self.metrics.incidents_started.labels(group.source).inc()
            return Delivery(outcome="started" if started else "signalled", incident_id=incident_id)
        raise RuntimeError(f"alert group {group.key} has more than {MAX_GENERATIONS} closed incidents")

    async def _send_decision(self, key: str, decision: Decision) -> Delivery:
        handle = await self._running(key)
        if handle is None:
            return Delivery(outcome="no_incident")
        # a signal, not an update: accepted by Temporal even while no worker runs, so nothing is lost
        return await self._signal(handle, IncidentWorkflow.submit, decision)

    async def _signal(self, handle: WorkflowHandle, signal, argument) -> Delivery:
        try:
            with unavailable_as(self.connection):
                await handle.signal(signal, argument, rpc_timeout=RPC_TIMEOUT)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:  # it completed between describe and signal
                return Delivery(outcome="no_incident")
            raise
        return Delivery(outcome="signalled", incident_id=self._incident_id(handle))

    async def _running(self, key: str) -> WorkflowHandle | None:
        """The group's running incident, if any (walking past closed generations)."""
        client = await self.connection.client()
        generation = self._generation.get(key, 1)
        while generation <= MAX_GENERATIONS:
            handle = client.get_workflow_handle_for(
                IncidentWorkflow.run, WORKFLOW_ID_PREFIX + generation_id(key, generation))
            try:
                with unavailable_as(self.connection):
                    description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    return None
                raise
            if description.status == WorkflowExecutionStatus.RUNNING:
                self._generation[key] = generation
                return handle
            generation += 1
        return None

    def _started(self, handle: WorkflowHandle) -> bool:
        if self.connection.reports_started:
            return bool(getattr(handle._start_workflow_response, "started", False))
        new_run = handle.result_run_id not in self._runs_seen
        self._runs_seen.add(handle.result_run_id)
        return new_run

    @staticmethod
    def _incident_id(handle: WorkflowHandle) -> str:
        return handle.id.removeprefix(WORKFLOW_ID_PREFIX)
