"""R1 crash chaos: N Sev1 incidents on a real Temporal dev server while the worker is killed with SIGKILL at
random moments (pending timers, page activities in flight, acknowledgements arriving as updates) and
restarted. Checks: no incident lost, every page the policy calls for delivered exactly once at the recording
channel, and how late each escalation fired after the worker came back.

A kill never lands before the restarted worker has been ready for `--min-uptime` seconds (a crash, then a
recovered worker); `--min-uptime 0` kills again as soon as the next random moment has passed, which can leave
the worker up for a few milliseconds between kills. When the kills need more time than the escalations of
incidents declared over a few seconds take, the declarations are spread so the kills still meet pending
escalations. `catch_up` is, per restart, how long the new worker took to finish every workflow task that was
waiting for it (a restarted worker replays each incident it touches); `kills_before_caught_up` counts the
kills that came before that.

    python -m bench.chaos.crash --incidents 100 --kills 20 --seed 7
"""

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from adapters.channels import RecordingChannel
from adapters.policy_files import load_policy
from bench.chaos.processes import DevServer, WorkerProcess, stack_env
from bench.stats import percentile
from domain.incident import decisions as d
from domain.incident.severity import Severity, Tier
from domain.incident.state import IncidentStart, IncidentState
from service.incident_reader import run_histories
from service.incidents import declare_incident
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

ACK_TIMEOUT_RULE = "ack-timeout"


@dataclass
class CrashReport:
    incidents: int
    kills: int
    lost_incidents: list[str] = field(default_factory=list)
    expected_pages: int = 0
    delivered_pages: int = 0
    missing_pages: list[str] = field(default_factory=list)
    duplicate_pages: list[str] = field(default_factory=list)
    updates_not_taken: list[str] = field(default_factory=list)  # acknowledge/resolve given up after 90 s
    acknowledged: int = 0
    resolved: int = 0
    min_uptime_seconds: float = 0.0
    worker_restart_seconds_max: float = 0.0
    worker_uptime_before_kill_seconds_min: float | None = None
    catch_up_seconds: list[float] = field(default_factory=list)  # per restart, see _catch_up
    kills_before_caught_up: int = 0
    lateness_seconds: list[float] = field(default_factory=list)  # escalation fired, after the worker was back
    delivery_lateness_seconds: list[float] = field(default_factory=list)  # page recorded, idem
    pages_while_worker_down: int = 0
    escalations_due_in_kill_grace: int = 0  # measured from the next ready, see KILL_GRACE_SECONDS
    late_escalations: list[str] = field(default_factory=list)  # over GOAL_SECONDS: incident/rule, how late
    duration_seconds: float = 0.0
    workdir: str = ""  # the dev server's database, worker log and recorded pages, kept for a look afterwards

    @property
    def max_lateness(self) -> float:
        return max(self.lateness_seconds, default=0.0)

    @property
    def ok(self) -> bool:
        return not (self.lost_incidents or self.missing_pages or self.duplicate_pages or self.updates_not_taken)

    def summary(self) -> dict:
        return {
            **{k: v for k, v in asdict(self).items() if not k.endswith(("lateness_seconds", "catch_up_seconds"))},
            "catch_up": _spread(self.catch_up_seconds),
            "escalation_lateness": _spread(self.lateness_seconds),
            "page_delivery_lateness": _spread(self.delivery_lateness_seconds),
            "ok": self.ok,
        }


GOAL_SECONDS = 2.0  # R1: every escalation at its time ± 2 s after recovery


def _spread(values: list[float]) -> dict | None:
    """Seconds: count, min, p50, p99 (the benchmarks' nearest-rank percentile), max, and how many over the goal."""
    if not values:
        return None
    return {"n": len(values), "min": round(min(values), 3), "p50": round(percentile(values, 50), 3),
            "p99": round(percentile(values, 99), 3), "max": round(max(values), 3),
            "over_goal": sum(v > GOAL_SECONDS for v in values)}


# The goal's tolerance: an escalation due less than this before a kill and not fired by then counts as due
# with no worker up (the killed worker was not yet late by the goal's measure; the restarted one is measured
# from ready).
KILL_GRACE_SECONDS = GOAL_SECONDS


class UpTimes:
    """When a worker was polling: [ready, killed) intervals. An escalation due while none was up, or less than
    KILL_GRACE_SECONDS before the worker was killed and not done by then, is measured from the moment the next
    one became ready ("after recovery")."""

    def __init__(self) -> None:
        self.intervals: list[list[float]] = []

    def up(self, at: float) -> None:
        self.intervals.append([at, float("inf")])

    def down(self, at: float) -> None:
        self.intervals[-1][1] = at

    def in_kill_grace(self, due: float, done: float) -> bool:
        return any(max(ready, killed - KILL_GRACE_SECONDS) <= due < killed <= done for ready, killed in self.intervals)

    def effective_due(self, due: float, done: float) -> tuple[float, bool]:
        for ready, killed in self.intervals:
            if ready <= due < killed and not self.in_kill_grace(due, done):
                return due, True
        later = [ready for ready, _ in self.intervals if ready > due]
        return (min(later) if later else due), False


def due_offsets(policy, severity: Severity) -> dict[str, float]:
    """Rule id → seconds after detection, from the policy the worker runs."""
    level = policy.severity(severity)
    offsets = {ACK_TIMEOUT_RULE: level.response_time.total_seconds()}
    offsets.update({r.id: r.after.total_seconds() for r in policy.oncall.escalation.rules if severity in r.severities})
    return offsets


def expected_tiers(policy, severity: Severity) -> set[str]:
    tiers = {Tier.PRIMARY.value}
    if policy.oncall.escalation.acknowledge_escalates_to_next_tier:
        tiers.add(Tier.SECONDARY.value)
    tiers |= {r.tier.value for r in policy.oncall.escalation.rules if severity in r.severities}
    return tiers


async def _decide(client: Client, incident_id: str, decision, timeout: float = 90) -> bool:
    """False when the incident never took the decision (e.g. its workflow tasks keep failing)."""
    handle = client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id)
    deadline = time.monotonic() + timeout
    while True:  # while no worker is up the update waits; an RPC deadline is retried like a user would
        try:
            await asyncio.wait_for(handle.execute_update(IncidentWorkflow.decide, decision), 30)
            return True
        except WorkflowUpdateFailedError:
            return True  # refused by the validator: an earlier attempt whose answer we lost already applied it
        except RPCError as exc:
            if "already completed" in exc.message:
                return True  # an earlier resolve whose answer we lost closed it
        except Exception:
            pass
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)


async def _snapshot(client: Client, incident_id: str, timeout: float = 60) -> IncidentState | None:
    handle = client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return await asyncio.wait_for(handle.query(IncidentWorkflow.snapshot), 15)
        except Exception:
            await asyncio.sleep(1)
    return None


# Room per kill besides the minimum up-time: down 0.2–3 s, a restart of ~1–3 s until ready, and some slack so
# the kill moments stay random instead of all landing exactly `min_uptime` after a restart.
KILL_CYCLE_SECONDS = 5.0


async def run(incidents: int = 100, kills: int = 20, seed: int = 7, divisor: int = 60, ack_share: float = 0.3,
              workdir: Path | None = None, min_uptime: float = 10.0) -> CrashReport:
    rng = random.Random(seed)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chaos-r1-"))
    server = DevServer(workdir / "temporal")
    server.start()
    env = stack_env(server, workdir, divisor=divisor)
    policy = load_policy(Path(env["INCIDENTFLOW_POLICY_DIR"]))
    offsets = due_offsets(policy, Severity.SEV1)
    horizon = max(offsets.values())  # the last escalation of an unresolved Sev1
    recorder = RecordingChannel(Path(env["INCIDENTFLOW_RECORD_FILE"]))
    worker = WorkerProcess(env, workdir / "worker.log")
    report = CrashReport(incidents=incidents, kills=kills, min_uptime_seconds=min_uptime, workdir=str(workdir))
    uptimes = UpTimes()
    began = time.time()
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        worker.start()
        uptimes.up(worker.ready_at)
        run_id = f"r1{seed}{int(began) % 100000}"
        ids = [f"{run_id}-{i:03d}" for i in range(incidents)]
        # incidents keep arriving while the worker dies, and escalations come due until the last kill
        kills_need = kills * (min_uptime + KILL_CYCLE_SECONDS) if min_uptime else 0.0  # 0: the old schedule
        declare_span = max(5.0, incidents * 0.15, kills_need - horizon - 5)
        chaos_span = declare_span + horizon + 5

        async def declare(i: int, incident_id: str) -> None:
            await asyncio.sleep(declare_span * i / incidents)
            start = IncidentStart(id=incident_id, title=f"chaos {i}", service="payments", severity=Severity.SEV1,
                                  declared_by="chaos")
            await declare_incident(client, start, env["INCIDENTFLOW_TASK_QUEUE"])
            if rng.random() < ack_share:  # acknowledgements arrive as updates, some while no worker is up
                await asyncio.sleep(rng.uniform(0.5, horizon))
                if await _decide(client, incident_id, d.Acknowledge(by="chaos")):
                    report.acknowledged += 1
                else:
                    report.updates_not_taken.append(f"{incident_id}/acknowledge")

        async def chaos() -> None:
            moments = sorted(rng.uniform(1, chaos_span) for _ in range(kills))
            for moment in moments:
                await asyncio.sleep(max(0.0, began + moment - time.time(), worker.ready_at + min_uptime - time.time()))
                uptimes.down(await asyncio.to_thread(worker.kill))
                ready, killed = uptimes.intervals[-1]
                shortest = report.worker_uptime_before_kill_seconds_min
                report.worker_uptime_before_kill_seconds_min = round(min(killed - ready, shortest or float("inf")), 3)
                await asyncio.sleep(rng.uniform(0.2, 3.0))
                await asyncio.to_thread(worker.start)
                uptimes.up(worker.ready_at)
                report.worker_restart_seconds_max = max(report.worker_restart_seconds_max,
                                                        worker.ready_at - worker.started_at)

        await asyncio.gather(chaos(), *(declare(i, x) for i, x in enumerate(ids)))
        # let the last incident's last escalation come due with a worker up
        await asyncio.sleep(max(0.0, began + declare_span + horizon + 5 - time.time()))
        await _check(client, ids, policy, offsets, recorder, uptimes, report)
        await _catch_up(client, ids, uptimes, report)
        for incident_id in ids:
            if not await _decide(client, incident_id, d.Resolve(by="chaos", summary="chaos run over")):
                report.updates_not_taken.append(f"{incident_id}/resolve")
        for incident_id in ids:
            state = await _snapshot(client, incident_id)
            report.resolved += state is not None and state.resolved_at is not None
        report.duration_seconds = round(time.time() - began, 1)
    finally:
        worker.stop()
        server.stop()
    return report


async def _check(client, ids, policy, offsets, recorder, uptimes, report) -> None:
    delivered: dict[tuple[str, str], list[dict]] = {}
    tiers = expected_tiers(policy, Severity.SEV1)
    deadline = time.monotonic() + 60
    states: dict[str, IncidentState | None] = {}
    while True:  # a page due right at the end may still be on its way
        states = {i: await _snapshot(client, i) for i in ids}
        if all(s is not None and {p.tier.value for p in s.pages} >= tiers for s in states.values()):
            break
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(2)  # nothing more may arrive
    for record in recorder.pages():
        delivered.setdefault((record["incident_id"], record["tier"]), []).append(record)
    for incident_id, state in states.items():
        if state is None:
            report.lost_incidents.append(incident_id)
            continue
        detected = state.detected_at.timestamp()
        for tier in sorted(tiers):
            report.expected_pages += 1
            got = delivered.get((incident_id, tier), [])
            if not got:
                report.missing_pages.append(f"{incident_id}/{tier}")
                continue
            if len(got) > 1:
                report.duplicate_pages.append(f"{incident_id}/{tier} ×{len(got)}")
            page = next((p for p in state.pages if p.tier.value == tier), None)
            record = got[0]
            due = detected if tier == Tier.PRIMARY.value else None
            if page is not None and due is None:
                rule = next((e.rule for e in state.escalations if e.paged and e.tier.value == tier), ACK_TIMEOUT_RULE)
                due = detected + offsets[rule]
            if due is not None and tier != Tier.PRIMARY.value:
                effective, worker_was_up = uptimes.effective_due(due, record["recorded_at"])
                report.pages_while_worker_down += not worker_was_up
                report.delivery_lateness_seconds.append(record["recorded_at"] - effective)
        for escalation in state.escalations:  # when the workflow decided, whether or not it paged
            due, fired = detected + offsets[escalation.rule], escalation.at.timestamp()
            effective, worker_was_up = uptimes.effective_due(due, fired)
            report.lateness_seconds.append(fired - effective)
            if fired - effective > GOAL_SECONDS:
                report.late_escalations.append(f"{incident_id}/{escalation.rule}: {fired - effective:.2f} s after "
                                               + ("its time" if worker_was_up else "the restarted worker was ready"))
            report.escalations_due_in_kill_grace += uptimes.in_kill_grace(due, fired)
        report.delivered_pages += sum(len(delivered.get((incident_id, t), [])) for t in tiers)
    extra = {key for key in delivered if key[0] in states and key[1] not in tiers}
    report.duplicate_pages += [f"{i}/{t} (unexpected tier)" for i, t in sorted(extra)]


async def _catch_up(client: Client, ids: list[str], uptimes: UpTimes, report: CrashReport) -> None:
    """Per restart, from the histories: seconds from 'ready' until every workflow task that was already waiting
    for a worker then (timer fired, activity done, update arrived while none was up, or started by the killed
    worker and left to time out) had completed. Longer than the worker's up-time: the next kill came first."""
    restarts = uptimes.intervals[1:]
    done_by: list[float] = [ready for ready, _ in restarts]
    for incident_id in ids:
        pending_since = None
        for event in (e for run in await run_histories(client, WORKFLOW_ID_PREFIX + incident_id) for e in run.events):
            at = event.event_time.ToNanoseconds() / 1e9
            if event.HasField("workflow_task_scheduled_event_attributes") and pending_since is None:
                pending_since = at
            elif event.HasField("workflow_task_completed_event_attributes") and pending_since is not None:
                for i, (ready, _) in enumerate(restarts):
                    if pending_since < ready <= at:
                        done_by[i] = max(done_by[i], at)
                pending_since = None
    for (ready, killed), done in zip(restarts, done_by, strict=True):
        report.catch_up_seconds.append(done - ready)
        report.kills_before_caught_up += done > killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--divisor", type=int, default=60, help="policy durations divided by this (60: 1h → 60s)")
    parser.add_argument("--min-uptime", type=float, default=10.0,
                        help="seconds a restarted worker stays up before the next kill (0: kill at once)")
    args = parser.parse_args()
    report = asyncio.run(run(args.incidents, args.kills, args.seed, args.divisor, min_uptime=args.min_uptime))
    print(json.dumps(report.summary(), indent=2), flush=True)
    os._exit(0 if report.ok else 1)  # not SystemExit: the Temporal SDK can abort at interpreter exit


if __name__ == "__main__":
    main()
