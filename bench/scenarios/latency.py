"""Scenarios 1 and 2: the floor and alert → first page, measured in the same run on the same server.

Latency: one request at a time, floor and alert samples alternating (so both see the same background noise),
from just before the request to the `recorded_at` the worker writes when the page (floor: the no-op
activity) completes. Throughput: `concurrency` requests in flight until `count` are sent, divided by the time
until the last one's page was recorded."""

import time
import uuid

from bench import load
from bench.records import RecordTail
from bench.stack import Stack
from bench.stats import ratio, summary_ms
from service.bounded import bounded

SIZES = {"quick": {"samples": 10, "warmup": 2, "count": 30, "concurrency": 10},
         "tune": {"samples": 60, "warmup": 5, "count": 150, "concurrency": 20},
         "full": {"samples": 200, "warmup": 10, "count": 400, "concurrency": 20}}
WAIT_SECONDS = 60


class Probe:
    def __init__(self, stack: Stack, client, http):
        self.stack, self.client, self.http = stack, client, http
        self.pages = RecordTail(stack.record_file)
        self.floor = RecordTail(stack.floor_record_file)
        self.run_id = uuid.uuid4().hex[:6]
        self.http_seconds: list[float] = []

    async def alert(self, n: int) -> tuple[float, str]:
        """POST one new alert group; returns (send time, incident id)."""
        group = f"latency-{self.run_id}-{n}"
        body = load.notification(group, [{"fingerprint": f"{group}-a", "alertname": "BenchProbe"}])
        began = time.time()
        answer = await self.http.post("/webhooks/alertmanager", json=body)
        self.http_seconds.append(time.time() - began)
        answer.raise_for_status()
        reply = answer.json()
        if not (reply["started"] or reply.get("queued")):  # queued: answered before Temporal took it (outbox)
            raise RuntimeError(f"alert group {group} did not open a new incident: {reply}")
        return began, reply["incident_id"]

    async def floor_start(self, n: int) -> tuple[float, str]:
        key = f"floor-{self.run_id}-{n}"
        began = time.time()
        await load.start_floor(self.client, self.stack, key)
        return began, key

    def page_at(self, incident_id: str) -> float | None:
        return self.pages.first_page_at.get(incident_id)

    def floor_at(self, key: str) -> float | None:
        return self.floor.recorded_at.get(key)


async def _latencies(probe: Probe, samples: int, first: int) -> tuple[list[float], list[float]]:
    floor, alert = [], []
    for n in range(first, first + samples):
        began, key = await probe.floor_start(n)
        await load.wait_for(probe.floor, lambda k=key: probe.floor_at(k) is not None, WAIT_SECONDS,
                            f"floor workflow {key}")
        floor.append(probe.floor_at(key) - began)
        began, incident = await probe.alert(n)
        await load.wait_for(probe.pages, lambda i=incident: probe.page_at(i) is not None, WAIT_SECONDS,
                            f"the first page of {incident}")
        alert.append(probe.page_at(incident) - began)
    return floor, alert


async def _throughput(probe: Probe, send, done_at, count: int, concurrency: int, first: int, tail: RecordTail,
                      what: str) -> dict:
    began = time.time()
    sent = await bounded(concurrency, [lambda n=n: send(n) for n in range(first, first + count)])
    keys = {key: at for at, key in sent}
    await load.wait_for(tail, lambda: all(done_at(k) is not None for k in keys), WAIT_SECONDS * 4, what)
    finished = {k: done_at(k) for k in keys}
    elapsed = max(finished.values()) - began
    return {"count": count, "concurrency": concurrency, "per_second": round(count / elapsed, 1),
            "latency": summary_ms([finished[k] - at for k, at in keys.items()])}


async def run(stack: Stack, size: str) -> dict:
    plan = SIZES[size]
    stack.start_worker()
    stack.start_floor_worker()
    stack.start_gateway()
    client = await load.temporal_client(stack)
    async with load.gateway_client(stack) as http:
        probe = Probe(stack, client, http)
        await _latencies(probe, plan["warmup"], 0)  # imports, connections and caches warm up first
        probe.http_seconds.clear()
        floor, alert = await _latencies(probe, plan["samples"], 1000)
        http_latency = summary_ms(probe.http_seconds)
        floor_tp = await _throughput(probe, probe.floor_start, probe.floor_at, plan["count"], plan["concurrency"],
                                     10_000, probe.floor, "floor throughput")
        alert_tp = await _throughput(probe, probe.alert, probe.page_at, plan["count"], plan["concurrency"],
                                     10_000, probe.pages, "alert throughput")
        pages = probe.pages.pages()
    floor_s, alert_s = summary_ms(floor), summary_ms(alert)
    incidents = {p["incident_id"] for p in pages}
    primary = [p for p in pages if p["tier"] == "primary"]
    return {
        "floor": {"latency": floor_s, "throughput": floor_tp},
        "alert_to_page": {
            "latency": alert_s, "throughput": alert_tp, "gateway_response": http_latency,
            "p50_ratio": ratio(alert_s["p50_ms"], floor_s["p50_ms"]),
            "p99_ratio": ratio(alert_s["p99_ms"], floor_s["p99_ms"]),
            "throughput_ratio": ratio(alert_tp["per_second"], floor_tp["per_second"]),
        },
        "invariants": {
            "incidents_paged": len(incidents), "expected": plan["warmup"] + plan["samples"] + plan["count"],
            "duplicate_primary_pages": len(primary) - len({p["incident_id"] for p in primary}),
        },
    }
