"""Background heartbeats: Temporal learns within the heartbeat timeout that a worker died mid-activity, while a
slow but working attempt (a channel taking 20 s to answer) keeps its whole start-to-close timeout."""

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from temporalio import activity

HEARTBEAT_EVERY_SECONDS = 1.0

P = ParamSpec("P")
R = TypeVar("R")


def heartbeating(run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap an async activity (below `@activity.defn`) so it heartbeats every second while it runs."""

    @functools.wraps(run)
    async def with_heartbeats(*args: P.args, **kwargs: P.kwargs) -> R:
        beating = asyncio.create_task(_beat()) if activity.in_activity() else None
        try:
            return await run(*args, **kwargs)
        finally:
            if beating is not None:
                beating.cancel()

    return with_heartbeats


async def _beat() -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY_SECONDS)  # quick attempts finish without a single heartbeat call
        activity.heartbeat()
