"""What the scenarios send: Alertmanager notifications over HTTP, floor workflows over gRPC, and waiting for
what the workers recorded."""

from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.floor import FLOOR_SIGNAL
from bench.records import RecordTail
from bench.stack import Stack
from testkit.polling import wait_until

POLL_SECONDS = 0.01


def notification(group: str, alerts: list[dict], service: str = "bench") -> dict:
    """An Alertmanager webhook (version 4) for one group; `alerts` are (fingerprint, alertname) dicts."""
    now = datetime.now(UTC).isoformat()
    return {
        "version": "4", "groupKey": f'{{}}:{{group="{group}"}}', "status": "firing", "receiver": "incidentflow",
        "groupLabels": {"group": group}, "commonLabels": {"service": service},
        "alerts": [{
            "status": "firing", "fingerprint": a["fingerprint"], "startsAt": now,
            "labels": {"alertname": a["alertname"], "service": service, "group": group, "instance": a["fingerprint"]},
            "annotations": {"summary": f"{a['alertname']} on {a['fingerprint']}"},
        } for a in alerts],
    }


async def temporal_client(stack: Stack) -> Client:
    return await Client.connect(stack.address, data_converter=pydantic_data_converter)


def gateway_client(stack: Stack, connections: int = 100) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {stack.token}"}, timeout=60,
        # idle connections expire before uvicorn's 5 s keep-alive closes them: never reuse one it is closing
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2),
    )


def storm_session(stack: Stack, connections: int) -> aiohttp.ClientSession:
    """The storm's load generator: aiohttp costs a fraction of httpx's CPU per request, CPU the gateway, worker
    and server on the same machine would otherwise lose to it (docs/performance.md)."""
    return aiohttp.ClientSession(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {stack.token}"},
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=2),
        timeout=aiohttp.ClientTimeout(total=60))


async def start_floor(client: Client, stack: Stack, key: str) -> None:
    await client.start_workflow("FloorWorkflow", key, id=key, task_queue=f"{stack.task_queue}-floor",
                                start_signal=FLOOR_SIGNAL)


async def wait_for(tail: RecordTail, done: Callable[[], bool], timeout: float, what: str) -> None:
    """Follow the recorded pages in `tail` until `done()` holds."""
    def followed() -> bool:
        tail.poll()
        return done()

    await wait_until(followed, what, timeout, interval=POLL_SECONDS)


def gateway_request_buckets(stack: Stack, route: str) -> dict[float, float]:
    """The gateway's own request-duration histogram for `route` (cumulative counts by upper bound)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{stack.gateway_url}/metrics", timeout=10).text
    return {float(sample.labels["le"]): sample.value
            for family in text_string_to_metric_families(text) if family.name == "incidentflow_gateway_request_seconds"
            for sample in family.samples
            if sample.name.endswith("_bucket") and sample.labels.get("route") == route}
