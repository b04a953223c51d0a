"""Webhook payloads -> one `AlertGroup`: the incident key, the full alert snapshot and what a new incident
starts with. Pure functions: no I/O, nothing secret (PagerDuty's routing key never leaves the request)."""

import hashlib
import json
from datetime import UTC, datetime

from pydantic import BaseModel, Field, model_validator

from domain.alerts.handling import AlertSnapshot
from domain.alerts.limits import bounded_alerts
from domain.common.limits import IMPACT_MAX, SERVICE_MAX, TITLE_MAX, clip, sane_time
from domain.incident.severity import Severity
from domain.incident.state import Alert, IncidentStart
from domain.policy.model import Policy
from gateway.pagerduty_details import details_of, split_details
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
    """One notification at the door, cut to the limits every incident keeps (domain/common/limits.py): whatever the
    sender sent, what reaches Temporal is small, and its times are ones nothing downstream can fail on."""

    source: str
    key: str
    title: str
    service: str
    severity: Severity | None = None
    impact: str | None = None
    alerts: list[Alert]
    hidden: int = Field(default=0, description="Alerts of the group not listed that may still fire")
    group_firing: bool = Field(default=False, description="The sender says the group still fires (its hidden "
                                                          "alerts included)")

    @model_validator(mode="after")
    def _bounded(self) -> "AlertGroup":
        now = datetime.now(UTC)
        alerts, self.hidden = bounded_alerts(self.alerts, self.hidden)
        self.alerts = [_sane_times(a, now) for a in alerts]
        self.title = clip(self.title.strip(), TITLE_MAX) or "alert"
        self.service = clip(self.service.strip(), SERVICE_MAX) or "unknown"
        return self

    @property
    def firing(self) -> bool:
        return any(a.status == "firing" for a in self.alerts) or (self.hidden > 0 and self.group_firing)

    def digest(self) -> str:
        """Same key, same alerts with the same statuses -> same digest (what 'identical snapshot' means)."""
        members = sorted((a.fingerprint, a.status) for a in self.alerts)
        return hashlib.sha256(json.dumps([self.key, members, self.hidden]).encode()).hexdigest()

    def snapshot(self, now: datetime) -> AlertSnapshot:
        return AlertSnapshot(source=self.source, alerts=self.alerts, received_at=now, hidden=self.hidden)

    def start(self, incident_id: str, policy: Policy | None = None) -> IncidentStart:
        starts = [a.starts_at for a in self.alerts if a.status == "firing" and a.starts_at]
        return IncidentStart(
            id=incident_id, title=self.title, service=self.service, severity=self.severity, impact=self.impact,
            declared_by=self.source, source=self.source, started_at=min(starts, default=None), alerts=self.alerts,
            policy=policy,
        )


def _sane_times(alert: Alert, now: datetime) -> Alert:
    starts, ends = sane_time(alert.starts_at, now), sane_time(alert.ends_at, now, future_ok=True)
    if (starts, ends) == (alert.starts_at, alert.ends_at):
        return alert
    return alert.model_copy(update={"starts_at": starts, "ends_at": ends})


def _fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(labels.items())).encode()).hexdigest()[:16]


def _service(labels_in_order: list[dict[str, str]]) -> str:
    for labels in labels_in_order:
        for name in ("service", "app", "job"):
            if labels.get(name, "").strip():
                return labels[name].strip()[:SERVICE_MAX]
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
    impact = payload.commonAnnotations.get("impact") or payload.commonAnnotations.get("description")
    return AlertGroup(source=source, key=incident_key(source, payload.groupKey), title=title, service=service,
                      alerts=alerts, impact=clip(impact, IMPACT_MAX) if impact else None,
                      hidden=max(0, payload.truncatedAlerts), group_firing=payload.status == "firing")


def from_alertmanager(payload: AlertmanagerPayload) -> AlertGroup:
    return _alertmanager_like("alertmanager", payload)


def from_grafana(payload: GrafanaPayload) -> AlertGroup:
    return _alertmanager_like("grafana", payload)


def from_pagerduty_trigger(event: PagerDutyEvent, dedup_key: str, service: str | None = None) -> AlertGroup:
    """`service`: the one the event's routing key belongs to (INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS), else
    `custom_details.service`, `component`, `group`, `source`. PagerDuty's severity is the `severity` label, which
    the policy's alert mapping turns into the incident's severity (critical → sev1 in ours)."""
    body = event.payload
    assert body is not None  # the route checks this first and answers 422
    details = details_of(body.custom_details)
    named = details.get("service") if isinstance(details.get("service"), str) else None
    service = clip((service or (named or "").strip() or body.component or body.group or body.source).strip(),
                   SERVICE_MAX)
    labels = {"alertname": body.summary[:200], "severity": body.severity, "source": body.source, "service": service}
    for name, value in (("component", body.component), ("group", body.group), ("class", body.class_)):
        if value:
            labels[name] = value
    # a short `alertname` detail may replace the summary as alertname; PagerDuty's own fields stay as sent
    detail_labels, detail_annotations = split_details(details, taken=set(labels) - {"alertname"})
    alert = Alert(fingerprint=dedup_key[:200], status="firing", labels={**labels, **detail_labels},
                  annotations={**detail_annotations, "summary": body.summary},
                  starts_at=real_time(body.timestamp), generator_url=event.client_url)
    return AlertGroup(source="pagerduty", key=incident_key("pagerduty", dedup_key), title=body.summary,
                      service=service, alerts=[alert])


def from_pagerduty_resolve(dedup_key: str) -> AlertGroup:
    """A `resolve` event: the alert of `dedup_key` resolved (its incident then shows it so, not firing)."""
    alert = Alert(fingerprint=dedup_key[:200], status="resolved")
    return AlertGroup(source="pagerduty", key=incident_key("pagerduty", dedup_key), title="resolved",
                      service="unknown", alerts=[alert])


def from_generic(event: GenericEvent) -> AlertGroup:
    labels = {"alertname": event.title, "service": event.service, **event.labels}
    if event.severity:
        labels.setdefault("severity", event.severity.value)
    alert = Alert(fingerprint=hashlib.sha256(event.key.encode()).hexdigest()[:16], status=event.status,
                  labels=labels, annotations={"summary": event.title, **event.annotations},
                  starts_at=real_time(event.starts_at), generator_url=event.url)
    return AlertGroup(source="generic", key=incident_key("generic", event.key), title=event.title,
                      service=event.service, severity=event.severity, alerts=[alert])
