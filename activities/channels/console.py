"""The embedded default: every page and message is written to the worker's log."""

import logging

from domain.notifications import Notification, PageRequest
from domain.policy import Person

log = logging.getLogger("incidentflow.console")


class ConsoleChannel:
    name = "console"

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        who = f"{target} ({person.name})" if person else target
        log.warning("📟 PAGE %s [%s] %s — %s: %s (%s)", who, request.tier.value, request.incident_id,
                    request.severity.value, request.title, request.reason)

    async def send(self, notification: Notification) -> None:
        to = f" → {', '.join(notification.to)}" if notification.to else ""
        log.warning("💬 %s %s%s\n%s", notification.kind, notification.incident_id or "", to, notification.text)
