"""Scenario 3, alert storm: `groups` alert groups, each sending `notifications` notifications of
`alerts_per_notification` new alerts, every notification sent twice at once (an HA Alertmanager pair), as
fast as the gateway answers: all groups at once, each group's next notification as soon as the previous
pair was answered (Alertmanager never has two notifications of one group in flight). Invariants: exactly
one incident per group, every alert in its incident, one primary page per incident. Temporal calls are
counted by the server itself (its /metrics). The gateway's CPU seconds over the sending, per request, say what
one webhook costs it (HTTP, validation, the outbox and its share of the deliveries).

`storm_paced` (`bench/scenarios/storm_paced.py`) sends the same notifications open-loop at a stated rate and
checks the same invariants through `absorb` below."""

import asyncio
import time
from collections import Counter

import httpx

from bench import load
from bench.records import RecordTail
from bench.stack import Stack
from bench.stats import histogram_quantile, milliseconds, summary_ms
from service.bounded import bounded
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

SIZES = {"quick": {"groups": 10, "notifications": 5, "alerts_per_notification": 20, "concurrency": 32},
         "full": {"groups": 50, "notifications": 10, "alerts_per_notification": 20, "concurrency": 64}}
CALLS = ("SignalWithStartWorkflowExecution", "StartWorkflowExecution", "SignalWorkflowExecution")
SETTLE_SECONDS = 120
METRICS_DELAY_SECONDS = 3
ROUTE = "/webhooks/alertmanager"  # the server publishes its counters about once a second


def _notifications(plan: dict) -> list[list[dict]]:
    """Per group, its notifications in order; alert fingerprints are unique across the storm."""
    return [[load.notification(f"storm-{g}", [{"fingerprint": f"storm-{g}-{n}-{a}", "alertname": f"BenchStorm{a}"}
                                               for a in range(plan["alerts_per_notification"])])
             for n in range(plan["notifications"])] for g in range(plan["groups"])]


async def _temporal_calls(stack: Stack) -> float:
    return await asyncio.to_thread(
        lambda: sum(stack.server_metric("service_requests", operation=op, service_name="frontend") for op in CALLS))


def _warm_up(stack: Stack) -> None:
    body = load.notification("storm-warm-up", [{"fingerprint": "storm-warm-up", "alertname": "BenchWarmUp"}])
    body["status"] = body["alerts"][0]["status"] = "resolved"
    answer = httpx.post(f"{stack.gateway_url}{ROUTE}", json=body, headers={"Authorization": f"Bearer {stack.token}"},
                        timeout=30)
    answer.raise_for_status()


def closed_loop(in_flight: int):
    """`send` for `absorb`: `in_flight // 2` groups at a time, each sending its next HA pair as soon as the
    previous pair was answered."""
    async def send(groups: list[list[dict]], post) -> dict:
        async def group_sends(group: list[dict]) -> list[dict]:
            answers = []
            for body in group:
                answers.extend(await asyncio.gather(post(body), post(body)))
            return answers

        sent = await bounded(in_flight // 2, [lambda g=g: group_sends(g) for g in groups])
        return {"answers": [a for group in sent for a in group], "in_flight": in_flight}

    return send


async def run(stack: Stack, size: str) -> dict:
    plan = SIZES[size]
    return await absorb(stack, plan, plan["concurrency"], closed_loop(plan["concurrency"]))


async def absorb(stack: Stack, plan: dict, connections: int, send, warm: bool = False) -> dict:
    """Start the worker and gateway, let `send(groups, post)` send every notification (each twice), then check
    that the stack absorbed them: one incident per group, every alert in it, one page per incident. `warm`: one
    resolved-only notification of another group first (answered `ignored`, opens nothing), so the gateway has
    its Temporal connection up, as a gateway that was running before the storm has."""
    stack.start_worker()
    stack.start_gateway()
    client = await load.temporal_client(stack)
    if warm:
        await asyncio.to_thread(_warm_up, stack)
    groups = _notifications(plan)
    bodies = [body for group in groups for body in group]
    expected_alerts = len(bodies) * plan["alerts_per_notification"]
    response_seconds = []
    calls_before = await _temporal_calls(stack)
    measured_before = await asyncio.to_thread(load.gateway_request_buckets, stack, ROUTE)
    cpu_before = stack.usage("gateway").cpu_seconds
    async with load.storm_session(stack, connections=connections) as http:
        async def post(body: dict) -> dict:
            began = time.perf_counter()
            async with http.post(ROUTE, json=body) as answer:
                reply = await answer.json()
                response_seconds.append(time.perf_counter() - began)
                answer.raise_for_status()
                return reply

        began = time.monotonic()
        sent = await send(groups, post)
        send_seconds = time.monotonic() - began
    gateway_cpu = stack.usage("gateway").cpu_seconds - cpu_before
    answers = sent.pop("answers")
    measured = await asyncio.to_thread(load.gateway_request_buckets, stack, ROUTE)
    by_gateway = [(bound, count - measured_before.get(bound, 0.0)) for bound, count in measured.items()]
    await asyncio.sleep(METRICS_DELAY_SECONDS)
    calls = await _temporal_calls(stack) - calls_before
    incident_ids = {a["incident_id"] for a in answers}
    # Every alert must reach its incident's state; signals are asynchronous, so wait for them to land.
    alerts_seen = 0
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        states = await asyncio.gather(*(client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + i)
                                        .query(IncidentWorkflow.snapshot) for i in sorted(incident_ids)))
        alerts_seen = sum(len(s.alerts) for s in states if s is not None)
        if alerts_seen >= expected_alerts or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    settled_seconds = time.monotonic() - began
    tail = RecordTail(stack.record_file)
    await load.wait_for(tail, lambda: len({p["incident_id"] for p in tail.pages()}) >= len(incident_ids), 60,
                        "a page for every storm incident")
    await asyncio.sleep(1)  # a duplicate page would come right after the first one
    tail.poll()
    pages = [(p["incident_id"], p["tier"]) for p in tail.pages()]
    visible = (await client.count_workflows("WorkflowType='IncidentWorkflow'")).count
    return {
        "notifications": len(bodies), "requests": len(answers), "alerts": expected_alerts, **sent,
        "gateway_response": summary_ms(response_seconds),  # as the load generator saw it, its own queueing included
        "gateway_measured": {  # by the gateway itself: request in → answer out (incidentflow_gateway_request_seconds)
            "n": int(max((c for _, c in by_gateway), default=0)),
            "p50_ms": milliseconds(histogram_quantile(0.5, by_gateway)),
            "p99_ms": milliseconds(histogram_quantile(0.99, by_gateway))},
        "gateway_cpu_ms_per_request": round(gateway_cpu * 1000 / max(len(answers), 1), 2),
        "temporal_calls": int(calls), "distinct_snapshots": len(bodies),
        "calls_per_distinct_snapshot": round(calls / len(bodies), 3),
        "duplicate_answers": sum(a["status"] == "duplicate" for a in answers),
        "send_seconds": round(send_seconds, 2), "requests_per_second": round(len(answers) / send_seconds, 1),
        "wall_seconds": round(settled_seconds, 2),
        "invariants": {
            "incidents": len(incident_ids), "incidents_in_visibility": visible, "expected": plan["groups"],
            "started_answers": sum(bool(a["started"]) for a in answers),  # ≤ incidents: queued answers say null
            "incidents_started_twice": sum(n > 1 for n in Counter(a["incident_id"] for a in answers
                                                                  if a["started"]).values()),
            "alerts_in_incidents": alerts_seen, "lost_alerts": expected_alerts - alerts_seen,
            "duplicate_pages": len(pages) - len(set(pages)),
        },
    }
