"""What remote mode reads, validated: the stored credentials, and the gateway's answers that have no model in
`domain/` (a declaration's id, a list entry). Decisions answer `domain.incident.decisions.DecisionResult`,
one incident `domain.incident.state.IncidentState`, `GET /api/whoami` `domain.identity.principal.Principal`."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, HttpUrl, StringConstraints

from domain.incident.phases import Phase
from domain.incident.severity import Severity
from domain.incident.state import Roles

Token = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"^[!-~]+$")]


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    token: Token  # printable ASCII without spaces: an `ift_<id>_<secret>` or a shared INCIDENTFLOW_API_TOKEN


class Declared(BaseModel):
    """`POST /api/incidents`."""

    id: str
    workflow_id: str


class IncidentSummary(BaseModel):
    """One entry of `GET /api/incidents` (service.incidents.summary): what `incident list` shows."""

    id: str
    title: str
    service: str
    severity: Severity
    phase: Phase
    drill: bool = False
    acknowledged_by: str | None = None
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    roles: Roles = Roles()
    failing: dict | None = None  # service.failing.Failing, read as such when set (rare)
