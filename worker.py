"""The incidentflow worker: runs every workflow and activity. Same as `incident worker`."""

import asyncio
import logging
import signal
from collections.abc import Sequence

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.channels import Channel, build_channels
from activities.notify import NotificationActivities
from activities.policy_loader import load_policy, load_policy_snapshot
from settings import Settings, get_settings
from workflows.incident import IncidentWorkflow

log = logging.getLogger("incidentflow.worker")

WORKFLOWS = [IncidentWorkflow]
# Pure, deterministic modules shared with activities: imported once, not re-imported per workflow run.
PASSTHROUGH = ("domain", "pydantic", "pydantic_core", "annotated_types", "yaml", "activities", "settings")


async def connect(settings: Settings | None = None) -> Client:
    settings = settings or get_settings()
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter
    )


def activities_for(channels: Sequence[Channel]) -> list:
    notifications = NotificationActivities(list(channels))
    return [load_policy_snapshot, notifications.page_responder, notifications.notify]


def build_worker(client: Client, task_queue: str, channels: Sequence[Channel]) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(channels),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    load_policy(settings.policy_dir)  # a broken policy never starts a worker silently
    client = await connect(settings)
    channels = build_channels(settings.channels, settings.record_file)
    worker = build_worker(client, settings.task_queue, channels)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.warning("worker ready: %s namespace=%s queue=%s channels=%s", settings.temporal_address,
                settings.temporal_namespace, settings.task_queue, ",".join(settings.channels))
    async with worker:
        await stop.wait()
    log.warning("worker stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("temporalio").setLevel(logging.WARNING)
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
