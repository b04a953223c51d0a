"""Waiting for what a test expects to happen: poll until a predicate holds, or fail naming what never did.
Tests wait for outcomes, never a fixed time; timings belong to bench/ (README.md, "Layout")."""

import asyncio
import inspect
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any


async def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 20.0, interval: float = 0.05):
    """Poll `predicate()` (sync or async) until it returns something truthy, and return that; after `timeout`
    seconds fail with "timed out waiting for <what>"."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


async def skip_time_until(time_env, predicate: Callable[[], Any], what: str, steps: int,
                          step: timedelta = timedelta(seconds=30), settle: float = 0.3):
    """On the time-skipping server: move its clock on by `step` (then give the worker `settle` seconds of real
    time to act) until `predicate()` (sync or async) returns something truthy, and return that."""
    for _ in range(steps):
        await time_env.sleep(step)
        await asyncio.sleep(settle)
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
    raise AssertionError(f"{what} had not happened {steps * step} later")


def wait_until_sync(predicate: Callable[[], Any], what: str, timeout: float = 20.0, interval: float = 0.2):
    """`wait_until` for tests without an event loop (the project's processes, the CLI as a user types it)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
