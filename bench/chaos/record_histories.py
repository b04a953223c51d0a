"""R6: record histories of representative incidents into tests/histories/*.json, which
tests/test_replay.py replays against the current workflow code in every test run (docs/upgrading.md).

    python -m bench.chaos.record_histories            # re-record (only when a release changes workflows)
"""

import asyncio
import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.channels import RecordingChannel
from domain import decisions as d
from domain.severity import Severity
from settings import PROJECT_DIR
from tests.helpers import running_worker, start_incident
from workflows.incident import IncidentWorkflow

HISTORIES = PROJECT_DIR / "tests" / "histories"


async def declare_to_resolve(env, task_queue: str):
    handle = await start_incident(env.client, task_queue, Severity.SEV2, id="hist-declare-resolve",
                                  title="Login latency", service="auth", declared_by="minsu")
    await env.sleep(timedelta(minutes=2))
    for decision in (d.Acknowledge(by="minsu"), d.AddNote(by="minsu", text="rolled back auth-api 1.42"),
                     d.StartMitigation(by="minsu"), d.MarkMitigated(by="minsu"),
                     d.Resolve(by="minsu", summary="bad deploy rolled back")):
        await handle.execute_update(IncidentWorkflow.decide, decision)
    await env.sleep(timedelta(minutes=1))
    return handle


async def full_escalation(env, task_queue: str):
    handle = await start_incident(env.client, task_queue, Severity.SEV1, id="hist-full-escalation",
                                  title="Matchmaking down", service="matchmaking", declared_by="alertmanager")
    await env.sleep(timedelta(minutes=65))  # nobody answers: primary → secondary → tertiary → executive
    await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="cto"))
    await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="cto", summary="restarted the matchmaker"))
    return handle


SCENARIOS = {"declare-to-resolve": declare_to_resolve, "full-escalation": full_escalation}


async def record(names: list[str] | None = None) -> list[Path]:
    os.environ.setdefault("INCIDENTFLOW_DATA_DIR", tempfile.mkdtemp(prefix="incidentflow-histories-"))
    from tests.conftest import register_search_attributes, venv_binary

    HISTORIES.mkdir(parents=True, exist_ok=True)
    written = []
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=venv_binary("temporal-test-server"))
    try:
        await register_search_attributes(env.client)
        for name in names or list(SCENARIOS):
            task_queue = f"hist-{name}"
            async with running_worker(env.client, task_queue, RecordingChannel()):
                handle = await SCENARIOS[name](env, task_queue)
                history = await handle.fetch_history()
                await handle.terminate("recorded")
            path = HISTORIES / f"{name}.json"
            path.write_text(json.dumps(history.to_json_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(path)
    finally:
        await env.shutdown()
    return written


def main() -> None:
    for path in asyncio.run(record()):
        print(f"wrote {path.relative_to(PROJECT_DIR)} ({path.stat().st_size // 1024} KiB)", flush=True)
    os._exit(0)  # the Temporal SDK can abort at interpreter exit


if __name__ == "__main__":
    main()
