"""What every command shares: one clear line on failure, a Temporal client (`service.temporal.connect`), async
running, JSON output. Temporal is imported only by a command that runs (`incident --help` stays fast)."""

import json
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from service.errors import ServiceError

console = Console()
T = TypeVar("T")


CommandError = ServiceError  # ends a command with one line on stderr and exit `code`


def fail(message: str, code: int = 1) -> NoReturn:
    raise CommandError(message, code)


async def connect():
    """A Temporal client (`service.temporal.connect`), imported when a command needs one."""
    from service.temporal import connect as connect_to_temporal

    return await connect_to_temporal()


def run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async command body, turning the errors people meet into one readable line."""
    import asyncio

    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError

    from service.temporal import unreachable

    try:
        return asyncio.run(coroutine_factory())
    except CommandError as exc:
        _exit_with(str(exc), exc.code)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        _exit_with(f"rejected: {getattr(cause, 'message', None) or cause or exc}", 1)
    except RPCError as exc:
        _exit_with(_describe_rpc_error(exc), 1)
    except RuntimeError as exc:
        if "connect" in str(exc).lower():
            _exit_with(unreachable(), 1)
        raise


def _exit_with(message: str, code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _describe_rpc_error(exc) -> str:
    from temporalio.service import RPCStatusCode

    from service.temporal import unreachable

    if exc.status == RPCStatusCode.NOT_FOUND:
        return f"not found: {exc.message}"
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return unreachable()
    return f"Temporal error ({exc.status.name if exc.status else 'unknown'}): {exc.message}"


# json.dumps escapes C0 but not C1 (\x9b starts a terminal control sequence) nor the bidi controls: the same JSON
# written with \u escapes, so `--json` on a terminal cannot move the cursor or reorder text (Korean stays as is)
_UNPRINTED_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def print_json(data: Any) -> None:
    def default(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value))

    text = json.dumps(data, ensure_ascii=False, indent=2, default=default)
    sys.stdout.write(_UNPRINTED_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def local_actor(by: str | None, option: str = "--by") -> str:
    """Locally `--by` names who acts and is required (remotely the gateway knows who is acting)."""
    if by is None or not by.strip():
        fail(f"Missing option '{option}'." if by is None else f"{option} must not be empty", 2)
    return by.strip()
