"""Worker processes (testkit/processes.py) polling their task queue, and reading their /metrics, for the
deployment tests."""

import subprocess

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from testkit.environment import free_port
from testkit.polling import wait_until


async def wait_for_pollers(client: Client, queue: str, workers: list[subprocess.Popen], timeout: float = 60) -> None:
    """Until every worker process polls both the workflow and the activity task queue (identity is pid@host/nonce):
    a worker still importing when the first incidents arrive would leave all of them to the others."""
    wanted = {str(worker.pid) for worker in workers}
    polling: list[set[str]] = []

    async def all_polling() -> bool:
        polling[:] = [await _poller_pids(client, queue, kind)
                      for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)]
        return all(wanted <= pids for pids in polling)

    try:
        await wait_until(all_polling, f"workers {wanted} polling {queue}", timeout, interval=0.2)
    except AssertionError as error:
        raise AssertionError(f"{error}; polling: {polling}") from None


async def _poller_pids(client: Client, queue: str, kind: int) -> set[str]:
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind))
    return {poller.identity.split("@")[0] for poller in answer.pollers}


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
