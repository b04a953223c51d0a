"""The embedded default: every page and message is written to the worker's log, at INFO (it is the message
being delivered, not a problem), with terminal escapes stripped from what senders wrote."""

import logging

from domain.common.text import terminal_text
from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person

log = logging.getLogger("incidentflow.console")


class ConsoleChannel:
    name = "console"

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        who = f"{target} ({person.name})" if person else target
        log.info("📟 PAGE %s [%s] %s — %s: %s (%s)", terminal_text(who), request.tier.value, request.incident_id,
                 request.severity.value, terminal_text(request.title), terminal_text(request.reason))

    async def send(self, notification: Notification) -> None:
        to = f" → {', '.join(notification.to)}" if notification.to else ""
        log.info("💬 %s %s%s\n%s", notification.kind, notification.incident_id or "", terminal_text(to),
                 terminal_text(notification.text, multiline=True))
