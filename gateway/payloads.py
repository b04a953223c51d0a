"""What monitoring systems send us, validated with pydantic.

Third-party payloads (Alertmanager, Grafana, PagerDuty) tolerate unknown extra fields, so a newer sender
keeps working; our own generic schema and the REST bodies are strict, so a typo is reported, not ignored.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from domain.common.limits import Actor, Impact, ServiceName, Title
from domain.common.models import Strict
from domain.incident.severity import Severity

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
ShortText = Title  # the same limits every entry has (domain/common/limits.py)
Name = ServiceName
Labels = dict[str, str]
AlertStatus = Literal["firing", "resolved"]


class Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ── Alertmanager (webhook payload version 4) ─────────────────────────────────────────────────────────
class AlertmanagerAlert(Tolerant):
    status: AlertStatus
    labels: Labels = {}
    annotations: Labels = {}
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str | None = None
    fingerprint: str | None = Field(None, max_length=200, description="Computed from the labels when missing")


class AlertmanagerPayload(Tolerant):
    """https://prometheus.io/docs/alerting/latest/configuration/#webhook_config — unknown fields are kept."""

    version: str = "4"
    groupKey: Key = Field(description="Identifies the alert group: one group, one incident")
    truncatedAlerts: int = 0
    status: AlertStatus
    receiver: str = ""
    groupLabels: Labels = {}
    commonLabels: Labels = {}
    commonAnnotations: Labels = {}
    externalURL: str | None = None
    alerts: list[AlertmanagerAlert] = Field(min_length=1)
    notification_reason: str | None = None
    routeLabels: Labels | None = None


# ── Grafana alerting (webhook version 1) ─────────────────────────────────────────────────────────────
class GrafanaAlert(AlertmanagerAlert):
    silenceURL: str | None = None
    dashboardURL: str | None = None
    panelURL: str | None = None
    imageURL: str | None = None
    values: dict[str, Any] | None = None
    valueString: str | None = None


class GrafanaPayload(AlertmanagerPayload):
    version: str = "1"
    orgId: int | None = None
    title: str | None = None
    state: str | None = None
    message: str | None = None
    alerts: list[GrafanaAlert] = Field(min_length=1)


# ── PagerDuty Events API v2 ──────────────────────────────────────────────────────────────────────────
class PagerDutyPayload(Tolerant):
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1024)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(None, alias="class")
    custom_details: Any = None


class PagerDutyEvent(Tolerant):
    """https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ — `routing_key` is never stored
    (a SecretStr: it shows as `**********` wherever the event is printed or logged)."""

    routing_key: SecretStr = Field(
        min_length=1, max_length=200, description="The integration's routing key: one of "
        "INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS authenticates the event and files it under that key's service")
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: Key | None = Field(None, description="Generated for a trigger without one; required otherwise")
    payload: PagerDutyPayload | None = Field(None, description="Required for trigger")
    client: str | None = None
    client_url: str | None = None


# ── our own generic schema ───────────────────────────────────────────────────────────────────────────
class GenericEvent(Strict):
    """One alert from anything else. The same `key` always reaches the same open incident."""

    key: Key = Field(description="Deduplication key: repeats with the same key feed the same incident")
    status: AlertStatus = "firing"
    title: ShortText
    service: Name
    severity: Severity | None = Field(None, description="Starting severity; the policy's alert mapping may raise it")
    labels: Labels = {}
    annotations: Labels = {}
    starts_at: datetime | None = None
    url: str | None = None


# ── REST API ─────────────────────────────────────────────────────────────────────────────────────────
class DeclareRequest(Strict):
    service: Name
    severity: Severity
    title: ShortText
    by: Actor = Field(description="Who declares (a handle from the policy's people)")
    impact: Impact | None = None


class DeclaredIncident(BaseModel):
    id: str
    workflow_id: str


class WebhookAnswer(BaseModel):
    status: Literal["accepted", "duplicate", "ignored"]
    incident_id: str | None = Field(description="The incident the notification went to (None when ignored); "
                                                 "when queued, the incident it is expected to reach")
    started: bool | None = Field(False, description="True when this notification opened the incident; "
                                                    "null while it is queued (not known yet)")
    message: str
    queued: bool | None = Field(None, description="Present (true) only when the answer came before Temporal took "
                                                  "the notification: it is in the outbox and will be delivered")

    def body(self) -> dict:
        """The JSON answer: `queued` appears only when true, so a delivered answer is exactly as it always was."""
        return self.model_dump(exclude={"queued"} if not self.queued else set())


class PagerDutyAnswer(BaseModel):
    status: Literal["success"] = "success"
    message: str = "Event processed"
    dedup_key: str
    incident_id: str | None = None
    queued: bool | None = Field(None, description="Present (true) only when answered before Temporal took the event")

    def body(self) -> dict:
        return self.model_dump(exclude={"queued"} if not self.queued else set())


def real_time(value: datetime | None) -> datetime | None:
    """Alertmanager sends 0001-01-01T00:00:00Z for 'no end yet'."""
    if value is None or value.year <= 1:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
