"""The public side of an incident: status-page vocabulary (Atlassian Statuspage's words) and the chat room
reference a workflow keeps. Pure data, imported by `domain.incident.state`."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.incident.phases import Phase
from domain.incident.severity import Severity

PublicStatus = Literal["investigating", "identified", "monitoring", "resolved"]
ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage"]
PUBLIC_STATUSES: tuple[str, ...] = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATUSES: tuple[str, ...] = ("operational", "degraded_performance", "partial_outage", "major_outage")


class RoomRef(BaseModel):
    """Where an incident's chat room lives: the Slack channel id and the `ts` of its header message.
    Kept in workflow state so a retried or replayed step updates the header instead of posting a new one."""

    provider: str = "slack"
    channel: str
    ts: str


class StatusUpdate(BaseModel):
    status: PublicStatus
    message: str
    by: str
    at: datetime
    automatic: bool = Field(default=False, description="Written by incidentflow on a phase change")


def status_for_phase(phase: Phase) -> PublicStatus:
    if phase.reached(Phase.RESOLVED):
        return "resolved"
    if phase.reached(Phase.MITIGATED):
        return "monitoring"
    if phase.reached(Phase.MITIGATING):
        return "identified"
    return "investigating"


def later_status(a: PublicStatus, b: PublicStatus) -> PublicStatus:
    """A public status never goes backwards: the further along of the two."""
    return a if PUBLIC_STATUSES.index(a) >= PUBLIC_STATUSES.index(b) else b


def component_status(severity: Severity, status: PublicStatus) -> ComponentStatus:
    if status == "resolved":
        return "operational"
    if status == "monitoring":
        return "degraded_performance"
    return {
        Severity.SEV0: "major_outage", Severity.SEV1: "partial_outage",
    }.get(severity, "degraded_performance")


def worst_component_status(statuses: list[str]) -> ComponentStatus:
    return max(statuses, key=COMPONENT_STATUSES.index, default="operational")
