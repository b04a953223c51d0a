"""Open incidents by severity and phase, counted from Temporal visibility when /metrics is scraped.

Temporal is the source of truth: any worker of the task queue reports the same numbers, however the
incidents are spread over the workers, so dashboards take `max` over the replicas, never `sum`.
Drill incidents (child workflows of a drill) are left out."""

import asyncio
import logging
import time
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Gauge
from temporalio.client import Client

from domain.incident.phases import Phase
from domain.incident.severity import Severity
from workflows import search

log = logging.getLogger("incidentflow.metrics")

OPEN_PHASES = [phase for phase in Phase if phase.is_open]
OPEN_PHASE_VALUES = {phase.value for phase in OPEN_PHASES}


class OpenIncidents:
    def __init__(self, client: Client, task_queue: str, max_age_seconds: float = 10.0, timeout: float = 5.0):
        self.client = client
        self.task_queue = task_queue
        self.max_age = max_age_seconds
        self.timeout = timeout
        self.registry = CollectorRegistry()
        self.gauge = Gauge("incidentflow_incidents_open", "Running incidents not yet resolved, by severity and phase",
                           ["severity", "phase"], registry=self.registry)
        self.errors = Gauge("incidentflow_incidents_open_stale", "1 when the last visibility query failed",
                            registry=self.registry)
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """At most one visibility query per `max_age` seconds, however many scrapers ask."""
        async with self._lock:
            if time.monotonic() - self._read_at < self.max_age:
                return
            try:
                tally = await asyncio.wait_for(self._count(), self.timeout)
            except Exception as exc:  # a scrape must answer even while Temporal does not
                log.warning("could not count open incidents: %s", exc)
                self.errors.set(1)
                return
            self.errors.set(0)
            self.gauge.clear()
            for severity in Severity:
                for phase in OPEN_PHASES:
                    self.gauge.labels(severity.value, phase.value).set(tally.get((severity.value, phase.value), 0))
            for (severity, phase), count in tally.items():
                self.gauge.labels(severity, phase).set(count)
            self._read_at = time.monotonic()

    async def _count(self) -> Tally:
        query = (f"WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' "
                 f"AND TaskQueue = '{self.task_queue}'")
        tally: Tally = Tally()
        async for execution in self.client.list_workflows(query):
            if execution.parent_id:
                continue
            attributes = execution.typed_search_attributes
            phase = attributes.get(search.PHASE) or Phase.DETECTED.value
            if phase in OPEN_PHASE_VALUES:
                tally[(attributes.get(search.SEVERITY) or "unknown", phase)] += 1
        return tally
