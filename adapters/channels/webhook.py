"""A signed generic outbound webhook (the Standard Webhooks scheme, https://www.standardwebhooks.com): every
page and message is POSTed as JSON `{type: "incident.page" | "incident.notification", timestamp, data}` with the
headers `webhook-id` (stable per idempotency key, so a receiver can drop a redelivery), `webhook-timestamp` and
`webhook-signature` (HMAC-SHA256 by the `standardwebhooks` library with the whsec_ secret). What was taken is kept
in the direct channels' delivery log. A 429 waits for Retry-After, other 4xx (and redirects, not followed) are
refusals for good, 5xx and connection errors are retried."""

import binascii
import hashlib
import json
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr
from standardwebhooks import Webhook

from adapters.channels.errors import post_or_raise
from adapters.stores.delivery_log import DeliveryLog
from domain.comms.notifications import Notification, PageRequest
from domain.policy.oncall_policy import Person

PAGE, NOTIFICATION = "incident.page", "incident.notification"


def webhook_id(key: str) -> str:
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def signer(secret: SecretStr) -> Webhook:
    try:
        return Webhook(secret.get_secret_value())
    except (binascii.Error, ValueError, RuntimeError) as exc:  # never echo the secret
        raise ValueError("INCIDENTFLOW_WEBHOOK_SECRET must be whsec_ followed by base64 "
                         f"({type(exc).__name__})") from None


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: SecretStr, log: DeliveryLog, timeout: float = 10.0):
        self.url = url
        self.webhook = signer(secret)
        self.log = log
        self.timeout = timeout

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        data = {"key": request.key, "incident_id": request.incident_id, "title": request.title,
                "service": request.service, "severity": request.severity.value, "tier": request.tier.value,
                "paged": target, "paged_name": person.name if person else None, "reason": request.reason,
                "at": request.at.isoformat()}
        await self._deliver(PAGE, request.incident_id, request.key, data, at=request.at)

    async def send(self, notification: Notification) -> None:
        data = {"key": notification.key, "incident_id": notification.incident_id, "kind": notification.kind,
                "severity": notification.severity.value if notification.severity else None,
                "title": notification.title, "text": notification.text, "to": notification.to}
        await self._deliver(NOTIFICATION, notification.incident_id or "-", notification.key, data)

    async def _deliver(self, kind: str, incident_id: str, key: str, data: dict, at: datetime | None = None) -> None:
        if self.log.sent(key, self.name):
            return
        now = datetime.now(UTC)  # the receiver checks the signed time against its clock: real time, not workflow time
        body = json.dumps({"type": kind, "timestamp": now.isoformat(), "data": data}, ensure_ascii=False)
        message_id = webhook_id(key)
        headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": self.webhook.sign(message_id, now, body),
                   "content-type": "application/json"}
        what = f"{kind} {key}"
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            await post_or_raise(lambda: client.post(self.url, content=body.encode(), headers=headers), "Webhook", what)
        self.log.record(incident_id, key, self.name, "webhook", at=at)
