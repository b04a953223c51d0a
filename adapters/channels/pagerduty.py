"""Paging through PagerDuty Events API v2: one alert per incident and tier (dedup_key), acknowledged and
resolved when the incident is. The routing key is policy data: a person may name the environment variable
holding theirs (`pagerduty_routing_key_env`); otherwise the configured default key is used."""

import os
from collections.abc import Mapping

import httpx
from pydantic import SecretStr

from adapters.channels.errors import post_or_raise
from adapters.stores.delivery_log import DeliveryLog
from domain.comms.notifications import Notification, PageRequest
from domain.comms.view import IncidentView
from domain.incident.severity import Severity
from domain.policy.oncall_policy import Person

DEFAULT_SOURCE = "default"
PD_SEVERITY = {Severity.SEV0: "critical", Severity.SEV1: "error", Severity.SEV2: "warning", Severity.SEV3: "info"}


def dedup_key(incident_id: str, tier: str) -> str:
    return f"{incident_id}/{tier}"


def incident_marker(incident_id: str) -> str:
    """A log row that is not an alert: when the incident itself was acknowledged or resolved."""
    return f"{incident_id}/*"


class PagerDutyChannel:
    name = "pagerduty"

    def __init__(self, events_url: str, default_key: SecretStr | None, log: DeliveryLog,
                 environ: Mapping[str, str] = os.environ, timeout: float = 10.0):
        self.events_url = events_url
        self.default_key = default_key
        self.log = log
        self.environ = environ
        self.timeout = timeout

    def _key_source(self, person: Person | None) -> str | None:
        if person and person.pagerduty_routing_key_env and self.environ.get(person.pagerduty_routing_key_env):
            return person.pagerduty_routing_key_env
        return DEFAULT_SOURCE if self.default_key else None

    def _routing_key(self, source: str) -> str | None:
        if source == DEFAULT_SOURCE:
            return self.default_key.get_secret_value() if self.default_key else None
        return self.environ.get(source)

    def has_pager(self, person: Person | None) -> bool:
        return self._key_source(person) is not None

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        source = self._key_source(person)
        key = dedup_key(request.incident_id, request.tier.value)
        if source is None:
            return
        if not self.log.sent(key, "trigger"):
            who = f"{person.name} ({target})" if person else target
            summary = f"[{request.severity.value.upper()}] {request.service}: {request.title} — {request.reason}"
            await self._post({
                "routing_key": self._routing_key(source), "event_action": "trigger", "dedup_key": key,
                "payload": {
                    "summary": summary[:1024], "source": "incidentflow", "severity": PD_SEVERITY[request.severity],
                    "component": request.service,
                    "custom_details": {"incident_id": request.incident_id, "tier": request.tier.value, "paged": who,
                                       "reason": request.reason},
                },
            })
            self.log.record(request.incident_id, key, "trigger", source, at=request.at)  # workflow time
        # A retried trigger can land after the incident moved on: catch up with what already happened.
        acknowledged_at = self.log.recorded_at(incident_marker(request.incident_id), "acknowledge")
        if acknowledged_at and request.at <= acknowledged_at:
            await self._once(request.incident_id, key, "acknowledge", source)
        if self.log.sent(incident_marker(request.incident_id), "resolve"):
            await self._once(request.incident_id, key, "resolve", source)

    async def send(self, notification: Notification) -> None:
        """Messages are not PagerDuty's job: the incident room and the status page carry them."""

    async def update(self, view: IncidentView) -> None:
        """Acknowledge the alerts paged before the acknowledgement (a later escalation must still ring);
        resolve them all when the incident is resolved."""
        marker = incident_marker(view.incident_id)
        if view.acknowledged_at is not None:
            self.log.record(view.incident_id, marker, "acknowledge", "-", at=view.acknowledged_at)
            for key, source in self.log.triggered(view.incident_id):
                paged_at = self.log.recorded_at(key, "trigger")
                if paged_at and paged_at <= view.acknowledged_at:
                    await self._once(view.incident_id, key, "acknowledge", source)
        if not view.phase.is_open:
            self.log.record(view.incident_id, marker, "resolve", "-", at=view.resolved_at)
            for key, source in self.log.triggered(view.incident_id):
                await self._once(view.incident_id, key, "resolve", source)

    async def _once(self, incident_id: str, key: str, action: str, source: str) -> None:
        routing_key = self._routing_key(source)
        if routing_key is None or self.log.sent(key, action):
            return
        await self._post({"routing_key": routing_key, "event_action": action, "dedup_key": key})
        self.log.record(incident_id, key, action, source)

    async def _post(self, event: dict) -> None:
        what = f"{event['event_action']} {event['dedup_key']}"
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            # a 4xx: the event itself is wrong (e.g. a bad routing key), the same event would be refused again
            await post_or_raise(lambda: client.post(self.events_url, json=event), "PagerDuty", what)
