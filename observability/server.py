"""The worker's small HTTP server: GET /metrics (app metrics + open incidents + Temporal SDK metrics in one
Prometheus text page) and GET /healthz. Metrics never stop a worker: a port that cannot be bound is logged."""

import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from observability.metrics import REGISTRY
from observability.open_incidents import OpenIncidents

log = logging.getLogger("incidentflow.metrics")


class MetricsServer:
    def __init__(self, open_incidents: OpenIncidents | None, sdk_port: int | None):
        self.open_incidents = open_incidents
        self.sdk_url = f"http://127.0.0.1:{sdk_port}/metrics" if sdk_port else None
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/healthz", self.healthz)
        return app

    async def metrics(self, request: web.Request) -> web.Response:
        parts = [generate_latest(REGISTRY)]
        if self.open_incidents is not None:
            await self.open_incidents.refresh()
            parts.append(generate_latest(self.open_incidents.registry))
        parts.append(await self._sdk_metrics())
        return web.Response(body=b"".join(parts), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _sdk_metrics(self) -> bytes:
        if self.sdk_url is None:
            return b""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._session.get(self.sdk_url) as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Temporal SDK metrics unavailable: %s", exc)
            return b""
        return body if body.endswith(b"\n") or not body else body + b"\n"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@contextlib.asynccontextmanager
async def serving(server: MetricsServer, host: str, port: int) -> AsyncIterator[int | None]:
    """Yields the bound port (useful with port 0), or None when the port could not be bound."""
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    bound = None
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
            bound = site._server.sockets[0].getsockname()[1]
            log.info("worker metrics on http://%s:%s/metrics", host, bound)
        except OSError as exc:
            log.warning("worker metrics off: cannot bind %s:%s (%s); set INCIDENTFLOW_METRICS_PORT", host, port, exc)
        yield bound
    finally:
        await runner.cleanup()
        await server.close()
