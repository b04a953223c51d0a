"""Shared test helpers: run a worker, start an incident, read when it paged, run the CLI."""

import asyncio
import os
import subprocess
import sys
import uuid
from contextlib import asynccontextmanager
from datetime import datetime

from temporalio.client import Client, WorkflowHandle

from adapters.channels import RecordingChannel
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart
from worker import build_worker
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow
from workflows.options import INCIDENT_TASK_TIMEOUT


@asynccontextmanager
async def running_worker(client: Client, task_queue: str, recorder: RecordingChannel):
    async with build_worker(client, task_queue, [recorder]):
        yield


async def start_incident(client: Client, task_queue: str, severity: Severity | None = Severity.SEV1,
                         policy_dir: str | None = None, **fields) -> WorkflowHandle:
    incident_id = fields.pop("id", f"t-{uuid.uuid4().hex[:8]}")
    start = IncidentStart(
        id=incident_id, title=fields.pop("title", "Payment errors"), service=fields.pop("service", "payments"),
        severity=severity, declared_by=fields.pop("declared_by", "tester"), policy_dir=policy_dir, **fields,
    )
    return await client.start_workflow(
        IncidentWorkflow.run, start, id=WORKFLOW_ID_PREFIX + incident_id, task_queue=task_queue,
        task_timeout=INCIDENT_TASK_TIMEOUT,
    )


def offsets(pages: list, since: datetime) -> list[tuple[str, int]]:
    """(tier, seconds since detection) for each page in the workflow state."""
    return [(p.tier.value, round((p.at - since).total_seconds())) for p in pages]


def incident(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The `incident` command as a user types it, with `env` as its environment; by default it must succeed."""
    result = subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True,
                            timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


async def cli(dev_server: str, *args: str) -> str:
    """The `incident` command in a thread: the worker in this event loop must keep answering its queries."""
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server}
    return (await asyncio.to_thread(incident, env, *args)).stdout
