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
from pathlib import Path

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from adapters.channels import RecordingChannel
from adapters.policy_files import load_policy
from bench.chaos.crash_check import catch_up, check, due_offsets, snapshot
from bench.chaos.crash_report import CrashReport, UpTimes
from domain.incident import decisions as d
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart
from service.incidents import declare_incident
from testkit.processes import DevServer, WorkerProcess, stack_env
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow


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


# Room per kill besides the minimum up-time: down 0.2–3 s, a restart of ~1–3 s until ready, and some slack so
# the kill moments stay random instead of all landing exactly `min_uptime` after a restart.
KILL_CYCLE_SECONDS = 5.0


async def run(incidents: int = 100, kills: int = 20, seed: int = 7, divisor: int = 60, ack_share: float = 0.3,
              workdir: Path | None = None, min_uptime: float = 10.0) -> CrashReport:
    rng = random.Random(seed)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chaos-r1-"))
    server = DevServer(workdir / "temporal")
    server.start()
    env = stack_env(server.address, workdir, divisor=divisor, queue_prefix="chaos")
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
        await check(client, ids, policy, offsets, recorder, uptimes, report)
        await catch_up(client, ids, uptimes, report)
        for incident_id in ids:
            if not await _decide(client, incident_id, d.Resolve(by="chaos", summary="chaos run over")):
                report.updates_not_taken.append(f"{incident_id}/resolve")
        for incident_id in ids:
            state = await snapshot(client, incident_id)
            report.resolved += state is not None and state.resolved_at is not None
        report.duration_seconds = round(time.time() - began, 1)
    finally:
        worker.stop()
        server.stop()
    return report


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
