"""What the incident ledger holds, as plain models: the rows metrics, reports and postmortems read."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.incident.phases import Phase
from domain.incident.severity import Severity
from domain.incident.state import IncidentState

ActionTerm = Literal["short", "mid", "long"]


class IncidentRecord(BaseModel):
    id: str
    service: str
    severity: Severity
    title: str
    source: str = "cli"
    alertname: str | None = None
    fingerprints: list[str] = []
    phase: Phase = Phase.DETECTED
    drill: bool = False
    declared_by: str = ""
    ic: str | None = None
    impact: str | None = None
    summary: str | None = None
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    root_cause_category: str | None = None
    recurrence_of: str | None = None

    @classmethod
    def from_state(cls, state: IncidentState) -> "IncidentRecord":
        names = sorted({a.labels["alertname"] for a in state.alerts.values() if a.labels.get("alertname")})
        return cls(
            id=state.id, service=state.service, severity=state.severity, title=state.title, source=state.source,
            alertname=names[0] if names else None, fingerprints=sorted(state.alerts), phase=state.phase,
            drill=state.drill, declared_by=state.declared_by, ic=state.roles.ic, impact=state.impact,
            summary=state.summary, started_at=state.started_at, detected_at=state.detected_at,
            acknowledged_at=state.acknowledged_at, mitigated_at=state.mitigated_at, resolved_at=state.resolved_at,
            closed_at=state.closed_at,
        )


class PostmortemRecord(BaseModel):
    incident_id: str
    status: Literal["draft", "published"] = "draft"
    owner: str | None = None
    deadline: datetime
    drafted_at: datetime
    path: str | None = Field(default=None, description="Draft file in the data dir")
    markdown: str = ""
    published_at: datetime | None = None
    published_by: str | None = None
    missed_notified_at: datetime | None = Field(default=None, description="When the team lead was told it is late")
    reminders_sent: int = 0

    def on_time(self, now: datetime) -> bool | None:
        """True/False once it is known; None while the draft is still within its deadline."""
        if self.published_at is not None:
            return self.published_at <= self.deadline
        if self.missed_notified_at is not None or now > self.deadline:
            return False
        return None


class ActionItem(BaseModel):
    id: int
    incident_id: str
    title: str
    owner: str
    due: date
    term: ActionTerm
    status: Literal["open", "done"] = "open"
    created_at: datetime
    created_by: str
    done_at: datetime | None = None
    done_by: str | None = None
    last_reminded_at: datetime | None = None
    reminders_sent: int = 0
    verified_at: datetime | None = Field(default=None, description="When the fix was checked to work (after done)")
    verified_by: str | None = None
    evidence: str | None = Field(default=None, description="What shows it works: a link, a drill, a graph")

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due < today
