"""Finding 1 of R1 (docs/reliability.md) without any SIGKILL: acknowledge while no worker is up, let a deadline
pass, start a worker (no cache), then replay every incident's history against the current code. A workflow
whose commands depend on how an update and a fired timer are split into activations fails that replay.

    .venv/bin/python -m bench.chaos.cold_update --trials 6 --incidents 10 [--keep DIR]
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.incident import decisions as d
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart
from service.incidents import declare_incident
from testkit.processes import DevServer, WorkerProcess, stack_env
from worker import build_replayer
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow


async def trial(client: Client, env: dict, worker: WorkerProcess, trial_no: int, incidents: int,
                report: dict, keep: Path | None) -> None:
    ids = [f"cold{trial_no}-{int(time.time()) % 100000}-{i:02d}" for i in range(incidents)]
    handles = []
    for i, incident_id in enumerate(ids):
        start = IncidentStart(id=incident_id, title=f"cold {i}", service="payments", severity=Severity.SEV1,
                              declared_by="repro")
        await declare_incident(client, start, env["INCIDENTFLOW_TASK_QUEUE"])
        handles.append(client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + incident_id))
    await asyncio.sleep(1.5)  # first tasks done, primary paged; timers pending
    worker.kill()
    acks = []  # acknowledge while no worker is up, a few at a time
    for i, handle in enumerate(handles):
        acks.append(asyncio.ensure_future(handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="repro"))))
        await asyncio.sleep(0.6 if i % 2 else 0.0)
    await asyncio.sleep(6.5)  # the acknowledgement deadline (5 s) passes with the updates waiting
    worker.start()
    for incident_id, ack in zip(ids, acks, strict=True):
        try:
            await asyncio.wait_for(ack, 60)
            report["acknowledged"] += 1
        except Exception as exc:  # noqa: BLE001 — reported; the replay below is what matters
            report["acknowledge_failed"].append(f"{incident_id}: {type(exc).__name__}: {exc}")
    await asyncio.sleep(1.0)
    for incident_id, handle in zip(ids, handles, strict=True):
        history = await handle.fetch_history()
        result = await build_replayer().replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            report["not_replaying"].append(f"{incident_id}: {str(result.replay_failure)[:300]}")
            if keep:
                (keep / f"{incident_id}.json").write_text(json.dumps(
                    {"workflowId": handle.id, **json.loads(history.to_json())}), encoding="utf-8")
        await handle.terminate("repro over")


async def run(trials: int = 6, incidents: int = 10, workdir: Path | None = None, keep: Path | None = None) -> dict:
    """Every incident's fate: acknowledged, and whether its history still replays."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="cold-update-"))
    server = DevServer(workdir / "temporal")
    server.start()
    env = stack_env(server.address, workdir, divisor=60, queue_prefix="chaos")
    worker = WorkerProcess(env, workdir / "worker.log")
    report = {"trials": trials, "incidents": trials * incidents, "acknowledged": 0, "acknowledge_failed": [],
              "not_replaying": [], "workdir": str(workdir)}
    began = time.monotonic()
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        worker.start()
        for n in range(trials):
            await trial(client, env, worker, n, incidents, report, keep)
    finally:
        worker.stop()
        server.stop()
    report["duration_seconds"] = round(time.monotonic() - began, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--incidents", type=int, default=10, help="per trial")
    parser.add_argument("--keep", type=Path, help="write the histories that no longer replay here")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(run(args.trials, args.incidents, keep=args.keep))
    print(json.dumps(report, indent=2))
    raise SystemExit(1 if report["not_replaying"] or report["acknowledge_failed"] else 0)


if __name__ == "__main__":
    main()
