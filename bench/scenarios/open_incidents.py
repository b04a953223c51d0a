"""Scenario 4: many open incidents with pending escalation timers on one worker, on a short policy (every
duration divided, e.g. Sev1's 5-minute acknowledge deadline → 30 s). Incidents are opened at a steady
`rate` below what the stack opens end to end (a paced ramp), so what is measured is how late timers fire
while up to `incidents` incidents are open — not the backlog of opening them all at once (the first run
opened 1,000 at 120/s against ~6/s capacity: every escalation was the queue, 84 s late at p99).
Lateness of each escalation page = when the recording channel recorded it − the deadline the planner set
for it (from the incident's `detected_at`). Also the worker's RSS and the server's and worker's CPU
seconds over the scenario."""

import asyncio
import time
import uuid

from adapters.policy_files import load_policy
from bench import load
from bench.records import RecordTail
from bench.stack import Stack
from bench.stats import percentile, summary_ms
from domain.incident import planner
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart
from service.bounded import bounded
from service.incidents import declare_incident
from testkit.short_policy import write_short_policy
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

SIZES = {"quick": {"incidents": 40, "divisor": 30, "concurrency": 20, "rate": 10},    # Sev1 deadline 10 s
         "full": {"incidents": 1000, "divisor": 10, "concurrency": 50, "rate": 2}}    # Sev1 deadline 30 s
INITIAL = "page:initial"


def action_key(page_key: str) -> str:
    """Page keys are `<workflow id>/<run id>/<action key>/<tier>`."""
    return "/".join(page_key.split("/")[2:-1])


async def run(stack: Stack, size: str) -> dict:
    plan = SIZES[size]
    policy_dir = write_short_policy(stack.dir / "policy", plan["divisor"])
    policy = load_policy(policy_dir)
    deadline = policy.severity(Severity.SEV1).response_time
    stack.start_worker(policy_dir)
    client = await load.temporal_client(stack)
    server0, worker0 = stack.usage("temporal"), stack.usage("worker")
    run_id = uuid.uuid4().hex[:6]
    ids = [f"bench-open-{run_id}-{n}" for n in range(plan["incidents"])]

    async def start(incident_id: str) -> None:
        await declare_incident(client, IncidentStart(id=incident_id, title="Payment errors (benchmark)",
                                                     service="payments", severity=Severity.SEV1, declared_by="bench",
                                                     source="bench"), stack.task_queue)

    began = time.monotonic()

    async def paced(n: int, incident_id: str) -> None:
        await asyncio.sleep(max(0.0, began + n / plan["rate"] - time.monotonic()))
        await start(incident_id)

    await bounded(plan["concurrency"], [lambda n=n, i=i: paced(n, i) for n, i in enumerate(ids)])
    start_seconds = time.monotonic() - began
    tail = RecordTail(stack.record_file)

    def escalated() -> set[str]:
        return {p["incident_id"] for p in tail.pages() if action_key(p["key"]) == planner.ACK_TIMEOUT_RULE}

    peak_rss = 0.0
    wait_until = time.monotonic() + deadline.total_seconds() + 300
    while len(escalated()) < len(ids):
        if time.monotonic() > wait_until:
            break
        peak_rss = max(peak_rss, stack.usage("worker").rss_mb)
        await asyncio.sleep(0.5)
        tail.poll()
    server1, worker1 = stack.usage("temporal"), stack.usage("worker")
    handles = [client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + i) for i in ids]
    states = await bounded(plan["concurrency"], [lambda h=h: h.query(IncidentWorkflow.snapshot) for h in handles])
    by_id = {s.id: s for s in states if s is not None}
    lateness, initial = [], []
    for page in tail.pages():
        state = by_id.get(page["incident_id"])
        key = action_key(page["key"])
        due = {a.key: a.at for a in planner.candidate_actions(policy, state)} if state else {}
        if key in due:
            (initial if key == INITIAL else lateness).append(page["recorded_at"] - due[key].timestamp())
    pages = [(p["incident_id"], action_key(p["key"]), p["tier"]) for p in tail.pages()]
    return {
        "incidents": len(ids), "deadline_seconds": deadline.total_seconds(), "rate_per_second": plan["rate"],
        "start_seconds": round(start_seconds, 1), "starts_per_second": round(len(ids) / start_seconds, 1),
        "escalation_lateness": summary_ms(lateness),
        "late_over_1s": sum(x > 1 for x in lateness),
        "first_page_after_detection": summary_ms(initial),
        "worker_rss_mb": round(max(peak_rss, worker1.rss_mb), 1), "worker_peak_rss_mb": round(worker1.peak_rss_mb, 1),
        "worker_cpu_seconds": round(worker1.cpu_seconds - worker0.cpu_seconds, 1),
        "server_cpu_seconds": round(server1.cpu_seconds - server0.cpu_seconds, 1),
        "p99_lateness_s": None if not lateness else round(percentile(lateness, 99), 3),
        "invariants": {
            "incidents_open": sum(s.phase.is_open for s in by_id.values()), "expected": len(ids),
            "escalated": len(escalated()), "duplicate_pages": len(pages) - len(set(pages)),
        },
    }
