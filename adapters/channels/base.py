from typing import Protocol

from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person


class Channel(Protocol):
    name: str

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        """Page `target`; must be idempotent on `request.key`."""

    async def send(self, notification: Notification) -> None:
        """Deliver a message; must be idempotent on `notification.key`."""
