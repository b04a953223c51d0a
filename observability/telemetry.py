"""What `incident worker` adds for production: the SDK's Prometheus runtime, tracing interceptors and the
/metrics server, from settings. With INCIDENTFLOW_METRICS_PORT=0 and no OTLP endpoint it adds nothing."""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import Client

from observability import tracing
from observability.open_incidents import OpenIncidents
from observability.runtime import loopback_port, prometheus_runtime
from observability.server import MetricsServer, serving
from settings import Settings

log = logging.getLogger("incidentflow.metrics")


class WorkerTelemetry:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.sdk_port: int | None = None
        self.runtime = None
        if settings.metrics_port:
            try:
                port = loopback_port()
                self.runtime = prometheus_runtime(port)
                self.sdk_port = port
            except Exception as exc:  # metrics never keep a worker from paging
                log.warning("Temporal SDK metrics off: %s", exc)
        self.interceptors = tracing.client_interceptors(settings, "incidentflow-worker")

    def connect_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.runtime is not None:
            options["runtime"] = self.runtime
        if self.interceptors:
            options["interceptors"] = self.interceptors
        return options

    @contextlib.asynccontextmanager
    async def serve(self, client: Client, task_queue: str) -> AsyncIterator[int | None]:
        if not self.settings.metrics_port:
            yield None
            return
        server = MetricsServer(OpenIncidents(client, task_queue), self.sdk_port)
        async with serving(server, self.settings.metrics_host, self.settings.metrics_port) as port:
            yield port
