"""Webhook payloads -> one `AlertGroup`: the incident key, the full alert snapshot and what a new incident
starts with. Pure functions: no I/O, nothing secret (PagerDuty's routing key never leaves the request)."""

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel

from domain.alerts import AlertSnapshot
from domain.incident import Alert, IncidentStart
from domain.policy import Policy
from domain.severity import Severity
from gateway.payloads import AlertmanagerPayload, GenericEvent, GrafanaPayload, PagerDutyEvent, real_time

PREFIXES = {"alertmanager": "am", "grafana": "gf", "pagerduty": "pd", "generic": "gen"}


def incident_key(source: str, raw_key: str) -> str:
    """Base incident id for an alert group: `am-<16 hex of sha256(groupKey)>` (readable, fixed length)."""
    digest = hashlib.sha256(f"{source}\0{raw_key}".encode()).hexdigest()[:16]
    return f"{PREFIXES[source]}-{digest}"


def generation_id(key: str, generation: int) -> str:
    """The incident id of the n-th incident of one alert group: `am-…`, then `am-…-2`, `am-…-3`."""
    return key if generation == 1 else f"{key}-{generation}"


class AlertGroup(BaseModel):
    source: str
    key: str
    title: str
    service: str
    severity: Severity | None = None
    impact: str | None = None
    alerts: list[Alert]

    @property
    def firing(self) -> bool:
        return any(a.status == "firing" for a in self.alerts)

    def digest(self) -> str:
        """Same key, same alerts with the same statuses -> same digest (what 'identical snapshot' means)."""
        members = sorted((a.fingerprint, a.status) for a in self.alerts)
        return hashlib.sha256(json.dumps([self.key, members]).encode()).hexdigest()

    def snapshot(self, now: datetime) -> AlertSnapshot:
        return AlertSnapshot(source=self.source, alerts=self.alerts, received_at=now)

    def start(self, incident_id: str, policy: Policy | None = None) -> IncidentStart:
        starts = [a.starts_at for a in self.alerts if a.status == "firing" and a.starts_at]
        return IncidentStart(
            id=incident_id, title=self.title, service=self.service, severity=self.severity, impact=self.impact,
            declared_by=self.source, source=self.source, started_at=min(starts, default=None), alerts=self.alerts,
            policy=policy,
        )


def _fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(labels.items())).encode()).hexdigest()[:16]


def _service(labels_in_order: list[dict[str, str]]) -> str:
    for labels in labels_in_order:
        for name in ("service", "app", "job"):
            if labels.get(name):
                return labels[name][:100]
    return "unknown"


def _alertmanager_like(source: str, payload: AlertmanagerPayload) -> AlertGroup:
    alerts = [
        Alert(fingerprint=a.fingerprint or _fingerprint(a.labels), status=a.status, labels=a.labels,
              annotations=a.annotations, starts_at=real_time(a.startsAt), ends_at=real_time(a.endsAt),
              generator_url=a.generatorURL)
        for a in payload.alerts
    ]
    common = payload.commonLabels
    name = common.get("alertname") or payload.groupLabels.get("alertname") or payload.alerts[0].labels.get(
        "alertname", "alert")
    summary = payload.commonAnnotations.get("summary")
    title = f"{name}: {summary}" if summary else name
    if len(alerts) > 1 and not summary:
        title += f" ({len(alerts)} alerts)"
    if isinstance(payload, GrafanaPayload) and payload.title and not summary:
        title = payload.title
    service = _service([common, payload.groupLabels, *(a.labels for a in payload.alerts)])
    return AlertGroup(source=source, key=incident_key(source, payload.groupKey), title=title[:300],
                      service=service, alerts=alerts,
                      impact=payload.commonAnnotations.get("impact") or payload.commonAnnotations.get("description"))


def from_alertmanager(payload: AlertmanagerPayload) -> AlertGroup:
    return _alertmanager_like("alertmanager", payload)


def from_grafana(payload: GrafanaPayload) -> AlertGroup:
    return _alertmanager_like("grafana", payload)


def from_pagerduty_trigger(event: PagerDutyEvent, dedup_key: str) -> AlertGroup:
    body = event.payload
    assert body is not None  # the route checks this first and answers 422
    labels = {"alertname": body.summary[:200], "severity": body.severity, "source": body.source}
    for name, value in (("component", body.component), ("group", body.group), ("class", body.class_)):
        if value:
            labels[name] = value
    details = body.custom_details if isinstance(body.custom_details, dict) else {}
    service = str(details.get("service") or body.component or body.group or body.source)[:100]
    labels.setdefault("service", service)
    alert = Alert(fingerprint=dedup_key[:200], status="firing", labels=labels, annotations={"summary": body.summary},
                  starts_at=real_time(body.timestamp), generator_url=event.client_url)
    return AlertGroup(source="pagerduty", key=incident_key("pagerduty", dedup_key), title=body.summary[:300],
                      service=service, alerts=[alert])


def from_generic(event: GenericEvent) -> AlertGroup:
    labels = {"alertname": event.title, "service": event.service, **event.labels}
    if event.severity:
        labels.setdefault("severity", event.severity.value)
    alert = Alert(fingerprint=hashlib.sha256(event.key.encode()).hexdigest()[:16], status=event.status,
                  labels=labels, annotations={"summary": event.title, **event.annotations},
                  starts_at=real_time(event.starts_at), generator_url=event.url)
    return AlertGroup(source="generic", key=incident_key("generic", event.key), title=event.title,
                      service=event.service, severity=event.severity, alerts=[alert])
