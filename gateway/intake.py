"""Alert groups and PagerDuty actions -> the outbox -> incident workflows.

A notification is accepted once it is durably queued (`gateway.outbox`); the dispatcher hands it to Temporal
(`gateway.dispatcher`), and the answer waits for that at most `INCIDENTFLOW_GATEWAY_ANSWER_WITHIN_MS`: in time,
it says what Temporal did; too late, it says "queued" with the incident the row is expected to reach. While
Temporal is known to be unreachable nothing is queued (503, `gateway.reachability`); a delivery that fails
while its request still waits is withdrawn and the error answered, as a direct call would be.

Incident ids and runs: an alert group's incidents are `am-<hash>`, `am-<hash>-2`, `am-<hash>-3`, … — one
workflow id per incident (`incident-<id>`), so `incident show ID` and `GET /api/incidents/ID` find every
one of them, closed ones included. A firing notification goes by signal-with-start to the group's current
generation with `USE_EXISTING` (running: the signal joins it) and `REJECT_DUPLICATE` (closed: Temporal
refuses, and we move on to the next generation, which opens a new incident). The current generation is
cached per key; after a gateway restart it is found again by probing, one call per closed incident.
Resolved-only notifications and PagerDuty acknowledge/resolve never start anything: they go to the running
incident of the group, or nowhere.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.incident.decisions import DECISION_ADAPTER, Decision
from domain.policy.model import Policy
from gateway.coalesce import DECISION, SNAPSHOT, Batch
from gateway.dedup import Deduplicator
from gateway.dispatcher import Dispatcher, Ticket
from gateway.mapping import AlertGroup, generation_id
from gateway.metrics import Metrics
from gateway.outbox import NewRow, OutboxStore
from gateway.reachability import Reachability
from gateway.temporal import RPC_TIMEOUT, TemporalConnection, unavailable_as
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow
from workflows.options import INCIDENT_TASK_TIMEOUT

# More closed incidents than this for one alert group means something is wrong with the key, not the world.
MAX_GENERATIONS = 10_000


class Delivery(BaseModel):
    outcome: Literal["started", "signalled", "no_incident"]
    incident_id: str | None = None

    @property
    def started(self) -> bool:
        return self.outcome == "started"


@dataclass(frozen=True)
class Answer:
    delivery: Delivery | None  # None: still queued when the answer budget ran out
    duplicate: bool
    predicted: str | None  # the incident a queued notification is expected to reach

    @property
    def incident_id(self) -> str | None:
        return self.delivery.incident_id if self.delivery is not None else self.predicted


class AlertIntake:
    def __init__(self, connection: TemporalConnection, task_queue: str, metrics: Metrics, window_seconds: float,
                 outbox: OutboxStore, answer_within_seconds: float,
                 policy: Callable[[], Policy | None] = lambda: None):
        self.connection = connection
        self.policy = policy
        self.task_queue = task_queue
        self.metrics = metrics
        self.answer_within = answer_within_seconds
        self.reachability = Reachability(connection)
        self.dispatcher = Dispatcher(outbox, self._send, self.reachability, metrics)
        self.dedup: Deduplicator[Ticket] = Deduplicator(window_seconds)
        self._generation: dict[str, int] = {}
        self._ids_seen: set[str] = set()

    async def accept(self, group: AlertGroup) -> Answer:
        """Queue one alert-group snapshot and answer for it."""
        self.metrics.alerts_received.labels(group.source).inc(len(group.alerts))
        row = NewRow(key=group.key, kind=SNAPSHOT, source=group.source, body=group.model_dump_json())
        return await self._once(group.source, group.key, group.digest(), row)

    async def decide(self, source: str, key: str, decision: Decision) -> Answer:
        """A decision from a monitoring system (PagerDuty acknowledge/resolve) for the group's open incident;
        queued behind the group's snapshots, so it never overtakes the trigger that opens the incident."""
        row = NewRow(key=key, kind=DECISION, source=source, body=DECISION_ADAPTER.dump_json(decision).decode())
        return await self._once(source, f"{key}/decision", f"{key}/{decision.kind}", row)

    async def _once(self, source: str, dedup_key: str, digest: str, row: NewRow) -> Answer:
        answer_by = asyncio.get_running_loop().time() + self.answer_within
        ticket, shared = await self.dedup.run(dedup_key, digest, lambda: self._queue(row))
        if shared:
            self.metrics.dedup_hits.labels(source).inc()
        delivery = await self._settled(ticket, dedup_key, digest, answer_by)
        if delivery is None:
            self.metrics.queued_answers.labels(source).inc()
        return Answer(delivery=delivery, duplicate=shared, predicted=ticket.predicted)

    async def _queue(self, row: NewRow) -> Ticket:
        await self.reachability.ensure()
        return await self.dispatcher.enqueue(row, generation_id(row.key, self._generation.get(row.key, 1)))

    async def _settled(self, ticket: Ticket, dedup_key: str, digest: str, answer_by: float) -> Delivery | None:
        """What Temporal did with the ticket's row, if it did by `answer_by` (the answer budget counts from the
        notification's arrival, so a slow insert is not waited for twice); None: still queued. A failed delivery
        is answered as an error (and its row withdrawn) only while nobody was told yet that it is accepted."""
        watched = [ticket.delivered] if ticket.answered else [ticket.delivered, ticket.failed]
        remaining = answer_by - asyncio.get_running_loop().time()
        if not any(f.done() for f in watched) and remaining > 0:
            await asyncio.wait(watched, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        if ticket.delivered.done():
            ticket.answered = True
            return ticket.delivered.result()
        if ticket.failed.done() and not ticket.answered:
            self.dedup.forget(dedup_key, digest)
            await self.dispatcher.withdraw(ticket)
            raise ticket.failed.result()
        ticket.answered = True
        return None

    async def _send(self, batch: Batch) -> Delivery:
        """One delivery of the dispatcher: a (coalesced) snapshot or a decision."""
        if batch.decision is not None:
            return await self._send_decision(batch.key, batch.decision)
        assert batch.group is not None
        return await self._send_snapshot(batch.group)

    # ── Temporal calls ───────────────────────────────────────────────────────────────────────────────
    async def _send_snapshot(self, group: AlertGroup) -> Delivery:
        if not group.firing:
            handle = await self._running(group.key)
            if handle is None:
                return Delivery(outcome="no_incident")
            return await self._signal(handle, IncidentWorkflow.alerts, group.snapshot(datetime.now(UTC)))

        client = await self.connection.client()
        generation = self._generation.get(group.key, 1)
        asked_again = 0  # the generation whose start met a workflow completing under it
        while generation <= MAX_GENERATIONS:
            incident_id = generation_id(group.key, generation)
            # Temporal reads the start input only to start a workflow that does not exist yet: for the incident
            # this gateway last reached (running then) the policy snapshot and UI texts stay home
            # (docs/performance.md). Should it have vanished (deleted by hand), the new incident loads its policy.
            known = self._generation.get(group.key) == generation
            start = group.start(incident_id, None if known else self.policy())
            try:
                with unavailable_as(self.connection):
                    handle = await client.start_workflow(
                        IncidentWorkflow.run, start, id=WORKFLOW_ID_PREFIX + incident_id, task_queue=self.task_queue,
                        task_timeout=INCIDENT_TASK_TIMEOUT,
                        start_signal="alerts", start_signal_args=[group.snapshot(datetime.now(UTC))],
                        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        static_summary=None if known else start.ui_summary(),
                        static_details=None if known else start.ui_details(),
                        rpc_timeout=RPC_TIMEOUT,
                    )
            except WorkflowAlreadyStartedError:
                generation += 1  # that incident is closed: the firing opens the next one
                continue
            except RPCError as exc:
                # it completed between the server finding it running and signalling it ("Completed workflow"):
                # asked again, the closed incident answers "already started" and the firing opens the next one
                if exc.status != RPCStatusCode.NOT_FOUND or asked_again == generation:
                    raise
                asked_again = generation
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
        # by workflow id, not run id: a long incident continues as new runs under its id
        # (domain/incident/continuation.py)
        new = handle.id not in self._ids_seen
        self._ids_seen.add(handle.id)
        return new

    @staticmethod
    def _incident_id(handle: WorkflowHandle) -> str:
        return handle.id.removeprefix(WORKFLOW_ID_PREFIX)
