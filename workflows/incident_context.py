"""What the parts of the incident workflow share, and what waits until the incident is open."""

from collections.abc import Callable
from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.incident.state import IncidentStart, IncidentState
    from domain.policy.model import Policy


@dataclass
class IncidentContext:
    """The start input; the policy snapshot and the incident, both set when it opens (in the first task when the
    starter took the snapshot, once `load_policy_snapshot` returns otherwise); and the flag that has the loop plan
    again."""

    start: IncidentStart
    policy: Policy | None = None
    state: IncidentState | None = None
    changed: bool = False


class Inbox:
    """Decisions and alert snapshots that come before the incident is open wait here, in order: handlers may run
    before `run` (https://docs.temporal.io/develop/python/message-passing), and the policy may still be loading."""

    def __init__(self) -> None:
        self._waiting: list[tuple[Callable, object]] | None = []

    @property
    def is_open(self) -> bool:
        return self._waiting is None

    def deliver(self, message, apply: Callable) -> None:
        if self._waiting is None:
            apply(message)
        else:
            self._waiting.append((apply, message))

    def open(self) -> None:
        waiting, self._waiting = self._waiting or [], None
        for apply, message in waiting:
            apply(message)
