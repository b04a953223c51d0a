"""Push and chat through Apprise, one-way: every page and message goes to each configured Apprise URL (ntfy,
Microsoft Teams, Telegram, Mattermost, Google Chat, Discord, a JSON endpoint …). Each URL is sent to on its own and
kept in the direct channels' delivery log under a digest of the URL, so a retry after one service failed never
repeats the others. The URLs hold their services' tokens: they are never logged nor put in an error, which names
a service by its position and kind ("apprise #2 (Mattermost)").

Apprise reports HTTP answers only in its log lines ("… error=400."): a 4xx other than 408/429 there is a refusal
for good; anything else (5xx, a connection error, a timeout) is retried."""

import hashlib
import logging
import re

import apprise
from pydantic import SecretStr

from adapters.channels.errors import rejected, unavailable
from adapters.stores.delivery_log import DeliveryLog
from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person

SEPARATORS = re.compile(r"[\s,]+")
HTTP_ERROR = re.compile(r"error=(\d{3})\b")
RETRIED_4XX = {408, 429}
URGENT = {"page", "escalation", "declared"}
# Their debug lines carry the services' full URLs, tokens included: never below INFO, whatever the root level.
QUIET_LOGGERS = ("apprise", "urllib3")


def parse_urls(raw: str) -> list[str]:
    return [url for url in SEPARATORS.split(raw.strip()) if url]


def _target(url: str, position: int) -> tuple[apprise.Apprise, str]:
    service = apprise.Apprise()
    if not service.add(url):
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        raise ValueError(f"INCIDENTFLOW_APPRISE_URLS entry {position} ({scheme}://…) is not an Apprise URL Apprise "
                         "can use: see https://github.com/caronc/apprise/wiki")
    return service, hashlib.sha256(url.encode()).hexdigest()[:16]


class AppriseChannel:
    name = "apprise"

    def __init__(self, urls: SecretStr, log: DeliveryLog, timeout: float = 10.0):
        self.targets = [_target(url, n) for n, url in enumerate(parse_urls(urls.get_secret_value()), start=1)]
        if not self.targets:
            raise ValueError("INCIDENTFLOW_APPRISE_URLS holds no URL")
        self.log = log
        self.timeout = timeout
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            if logger.level < logging.INFO:
                logger.setLevel(logging.INFO)

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        who = f"{person.name} ({target})" if person else target
        title = f"[{request.severity.value.upper()}] {request.title} — {request.incident_id}"
        body = f"📟 {who} is paged ({request.tier.value}) for {request.service}: {request.reason}"
        await self._deliver(request.incident_id, request.key, title, body, apprise.NotifyType.WARNING,
                            at=request.at)

    async def send(self, notification: Notification) -> None:
        severity = f"[{notification.severity.value.upper()}] " if notification.severity else ""
        if notification.incident_id:
            title = f"{severity}{notification.title or notification.kind} — {notification.incident_id}"
        else:
            title = f"{severity}{notification.title or notification.kind}"
        kind = apprise.NotifyType.WARNING if notification.kind in URGENT else apprise.NotifyType.INFO
        await self._deliver(notification.incident_id or "-", notification.key, title, notification.text, kind)

    async def _deliver(self, incident_id: str, key: str, title: str, body: str, kind, at=None) -> None:
        for position, (service, digest) in enumerate(self.targets, start=1):
            action = f"{self.name}:{digest}"
            if self.log.sent(key, action):
                continue
            result = await service.async_notify(body=body, title=title, notify_type=kind, timeout=self.timeout)
            if not result:
                raise _failure(result, f"apprise #{position} ({_names(result)}) {key}")
            self.log.record(incident_id, key, action, f"apprise #{position}", at=at)


def _names(result) -> str:
    return ", ".join(r.name for r in result.results) or "no service"


def _failure(result, what: str):
    lines = [entry.message for service in result.results for attempt in service for entry in attempt.logs]
    statuses = [int(m.group(1)) for line in lines if (m := HTTP_ERROR.search(line))]
    detail = (lines[-1] if lines else f"Apprise status {result.status.name}")[:300]
    if statuses and all(400 <= s < 500 and s not in RETRIED_4XX for s in statuses):
        return rejected("Apprise", what, detail)
    return unavailable("Apprise", what, detail)
