"""The floor: a bare workflow started by signal-with-start that runs one no-op activity, on its own worker
process with the SDK's defaults. Its activity records its completion the way the incident worker's
recording channel records a page, so both latencies end at the same kind of event.

`python -m bench.floor` runs the floor worker (TEMPORAL_ADDRESS, BENCH_TASK_QUEUE, INCIDENTFLOW_RECORD_FILE)."""

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from adapters.channels.recording import RecordingChannel

FLOOR_SIGNAL = "go"


class FloorActivities:
    def __init__(self, recorder: RecordingChannel):
        self.recorder = recorder

    @activity.defn(name="floor_noop")
    async def noop(self, key: str) -> None:
        self.recorder.record({"type": "floor", "key": key})


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    @workflow.run
    async def run(self, key: str) -> None:
        await workflow.execute_activity_method(FloorActivities.noop, key,
                                               start_to_close_timeout=timedelta(seconds=30))

    @workflow.signal(name=FLOOR_SIGNAL)
    def go(self) -> None:
        pass


async def main() -> None:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Worker

    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], data_converter=pydantic_data_converter)
    recorder = RecordingChannel(Path(os.environ["INCIDENTFLOW_RECORD_FILE"]))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=os.environ["BENCH_TASK_QUEUE"], workflows=[FloorWorkflow],
                      activities=[FloorActivities(recorder).noop]):
        print("floor worker ready", file=sys.stderr, flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    os._exit(0)  # the SDK can abort at interpreter exit (sdk-python #300)
