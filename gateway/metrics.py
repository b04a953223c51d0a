"""Prometheus metrics of the gateway, in a registry of its own (one per app, so tests never share counts)."""

import asyncio
import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from gateway.temporal import TemporalConnection
from service.audit import AUDIT_WRITE_FAILURES

PREFIX = "incidentflow_gateway_"
# What Temporal reports failing (service/failing.py): one count query, at most once per this many seconds.
FAILING_QUERY = ("WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '{queue}' "
                 "AND ParentWorkflowId IS NULL AND TemporalReportedProblems IS NOT NULL")
FAILING_MAX_AGE_SECONDS, FAILING_TIMEOUT_SECONDS = 10.0, 5.0

log = logging.getLogger("incidentflow.gateway")


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(AUDIT_WRITE_FAILURES)  # the audit log's write failures (service/audit.py), here too
        self.requests = Counter(f"{PREFIX}requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.request_seconds = Histogram(
            f"{PREFIX}request_seconds", "Time from a request's arrival to its answer, by route", ["route"],
            # fine around 50 ms: the storm goal (docs/performance.md) is read from these buckets
            buckets=(0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry)
        self.alerts_received = Counter(f"{PREFIX}alerts_received", "Alerts received in webhook notifications",
                                       ["source"], registry=self.registry)
        self.incidents_started = Counter(f"{PREFIX}incidents_started", "Incidents opened by the gateway",
                                         ["source"], registry=self.registry)
        self.dedup_hits = Counter(f"{PREFIX}dedup_hits", "Identical notifications answered without a Temporal call",
                                  ["source"], registry=self.registry)
        self.rejects = Counter(f"{PREFIX}rejects", "Requests refused, by reason", ["reason"], registry=self.registry)
        # the outbox (gateway/outbox.py): depth and age cover every replica's rows (one shared table)
        self.outbox_depth = Gauge(f"{PREFIX}outbox_depth", "Notifications accepted but not yet handed to Temporal",
                                  registry=self.registry)
        self.outbox_oldest_age = Gauge(f"{PREFIX}outbox_oldest_age_seconds",
                                       "Age of the oldest notification still in the outbox (0 when empty)",
                                       registry=self.registry)
        self.outbox_deliveries = Counter(f"{PREFIX}outbox_deliveries", "Deliveries of queued rows to Temporal",
                                         ["outcome"], registry=self.registry)
        self.outbox_rows_delivered = Counter(f"{PREFIX}outbox_rows_delivered",
                                             "Outbox rows settled by a delivery (coalesced rows included)",
                                             registry=self.registry)
        self.queued_answers = Counter(f"{PREFIX}queued_answers", "Webhooks answered before Temporal took them",
                                      ["source"], registry=self.registry)
        self.incidents_failing = Gauge(
            f"{PREFIX}incidents_failing", "Running incidents Temporal reports failing (TemporalReportedProblems: "
            "two workflow-task failures in a row); 0 on a server that does not set it (the worker's "
            "incidentflow_incidents_failing counts them on every server)", registry=self.registry)
        self._failing_read_at = float("-inf")

    async def refresh_failing(self, temporal: TemporalConnection, task_queue: str) -> None:
        """For a /metrics scrape. Never fails the scrape: while Temporal does not answer, the last count stays."""
        if time.monotonic() - self._failing_read_at < FAILING_MAX_AGE_SECONDS:
            return
        self._failing_read_at = time.monotonic()
        try:
            client = await temporal.client()
            counted = await asyncio.wait_for(client.count_workflows(FAILING_QUERY.format(queue=task_queue)),
                                             FAILING_TIMEOUT_SECONDS)
        except Exception as exc:
            log.warning("failing incidents not counted: %s", exc)
            return
        self.incidents_failing.set(counted.count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
