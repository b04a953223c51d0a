"""Where the time of one workflow run goes: every history event with its offset from the first one.

`python -m bench.history_timing WORKFLOW_ID [--address HOST:PORT]` — used to find what sits between an alert
and its first page (docs/performance.md)."""

import argparse
import asyncio
import os
import sys

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client


def _detail(event) -> str:
    for field in ("activity_task_scheduled_event_attributes", "marker_recorded_event_attributes",
                  "timer_started_event_attributes"):
        if event.HasField(field):
            attributes = getattr(event, field)
            if hasattr(attributes, "activity_type"):
                return attributes.activity_type.name
            if hasattr(attributes, "marker_name"):
                return attributes.marker_name
            return str(attributes.start_to_fire_timeout.ToTimedelta())
    return ""


async def timing(client: Client, workflow_id: str) -> list[tuple[float, str, str]]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    events = list(history.events)
    first = events[0].event_time.ToDatetime()
    names = {e.event_id: _detail(e) for e in events}
    rows = []
    for e in events:
        detail = _detail(e)
        for field in ("activity_task_started_event_attributes", "activity_task_completed_event_attributes"):
            if e.HasField(field):
                detail = names.get(getattr(e, field).scheduled_event_id, "")
        rows.append(((e.event_time.ToDatetime() - first).total_seconds() * 1000, EventType.Name(e.event_type), detail))
    return sorted(rows, key=lambda row: row[0])


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history_timing")
    parser.add_argument("workflow_id")
    parser.add_argument("--address", default=os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    args = parser.parse_args()
    client = await Client.connect(args.address)
    for offset, kind, detail in await timing(client, args.workflow_id):
        print(f"{offset:9.1f} ms  {kind.removeprefix('EVENT_TYPE_'):<40} {detail}")


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)  # the Temporal SDK can abort at interpreter exit (sdk-python #300)
