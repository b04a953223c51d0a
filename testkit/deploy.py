"""Worker processes against the dev server, and reading their /metrics, for the deployment tests."""

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.chaos.processes import recording_env
from testkit.environment import free_port


def stack_env(dev_server: str, tmp_path: Path, divisor: int = 30, **extra: str) -> dict[str, str]:
    return recording_env(dev_server, tmp_path, divisor, "deploy", **extra)


def start_worker(env: dict[str, str], log: Path, metrics_port: int | None = None) -> subprocess.Popen:
    if metrics_port is not None:
        env = {**env, "INCIDENTFLOW_METRICS_PORT": str(metrics_port)}
    return subprocess.Popen([sys.executable, "-m", "worker"], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


async def wait_for_pollers(client: Client, queue: str, workers: list[subprocess.Popen], timeout: float = 60) -> None:
    """Until every worker process polls both the workflow and the activity task queue (identity is pid@host/nonce):
    a worker still importing when the first incidents arrive would leave all of them to the others."""
    wanted = {str(worker.pid) for worker in workers}
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        polling = []
        for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
            answer = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=queue),
                                         task_queue_type=kind))
            polling.append({poller.identity.split("@")[0] for poller in answer.pollers})
        if all(wanted <= pids for pids in polling):
            return
        assert asyncio.get_running_loop().time() < deadline, f"workers {wanted} not all polling {queue}: {polling}"
        await asyncio.sleep(0.2)


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """Every sample of http://127.0.0.1:<port>/metrics, keyed by (name, labels)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float | None:
    """The one sample of `name` whose labels include `labels`; None when there is none."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
    return found[0] if found else None


def metrics_port() -> int:
    return free_port()
