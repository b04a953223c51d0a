"""Fan-out with a cap: many calls to one server (Temporal, an HTTP API) without opening all of them at once."""

import asyncio
from collections.abc import Awaitable, Callable


async def bounded(concurrency: int, jobs: list[Callable[[], Awaitable]]) -> list:
    """Run the jobs with at most `concurrency` in flight; results in job order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job):
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))
