"""`python -m bench.tuned_worker`: the real worker (`worker.main`) with the settings experiment of
BENCH_WORKER_OPTIONS (JSON): `passthrough`, the only modules the sandbox passes through (the shipped worker
passes every module); every other key is a
`temporalio.worker.Worker` keyword (max_concurrent_activities, max_concurrent_workflow_tasks, …)."""

import functools
import json
import os

import worker


def main() -> None:
    options = json.loads(os.environ.get("BENCH_WORKER_OPTIONS", "{}"))
    if "passthrough" in options:
        worker.sandboxed_runner = functools.partial(worker.sandboxed_runner, tuple(options.pop("passthrough")))
    worker.Worker = functools.partial(worker.Worker, **options)
    worker.main()


if __name__ == "__main__":
    main()
    os._exit(0)
