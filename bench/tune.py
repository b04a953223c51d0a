"""`python -m bench.tune`: the alert → page scenario (quick size, floor in the same stack) under each server
and worker setting worth trying; prints one row per variant. The winners go into cli/dev.py."""

import asyncio
import json
import os
import sys

from bench.scenarios import latency
from bench.stack import ServerOptions, Stack

VARIANTS = {
    "incident dev (wal, synchronous=0)": ({}, {}),
    "SQLite defaults (no pragmas)": ({"pragmas": ()}, {}),
    "wal, synchronous=1 (normal)": ({"pragmas": ("journal_mode=wal", "synchronous=1")}, {}),
    "+ history.shardIOConcurrency=10": ({"dynamic_config": {"history.shardIOConcurrency": "10"}}, {}),
    "worker: sandbox passes through only temporalio's defaults": ({}, {"passthrough": []}),
    "worker: sandbox passes through domain, pydantic, yaml, activities (before 2026-12-03)": (
        {}, {"passthrough": ["domain", "pydantic", "pydantic_core", "annotated_types", "yaml", "activities",
                             "settings"]}),
    "worker: max_concurrent_activities=20, workflow_tasks=20": (
        {}, {"max_concurrent_activities": 20, "max_concurrent_workflow_tasks": 20}),
}


async def measure(name: str, server: dict, worker: dict, size: str) -> dict:
    env = {"BENCH_WORKER_OPTIONS": json.dumps(worker)} if worker else {}
    with Stack("tune", server=ServerOptions(**server), worker_env=env) as stack:
        if worker:
            stack.worker_command = [sys.executable, "-m", "bench.tuned_worker"]
        return await latency.run(stack, size)


async def main(size: str) -> None:
    print("| variant | floor p50 | alert p50 (ratio) | alert p99 (ratio) | alert throughput (ratio to floor) |")
    print("|---|---|---|---|---|")
    for name, (server, worker) in VARIANTS.items():
        r = await measure(name, server, worker, size)
        f, a = r["floor"], r["alert_to_page"]
        print(f"| {name} | {f['latency']['p50_ms']} ms | {a['latency']['p50_ms']} ms ({a['p50_ratio']}×) | "
              f"{a['latency']['p99_ms']} ms ({a['p99_ratio']}×) | {a['throughput']['per_second']}/s "
              f"({a['throughput_ratio']}×) |", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "quick"))
    os._exit(0)
