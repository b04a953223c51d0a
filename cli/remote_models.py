"""What remote mode reads, validated: the stored credentials, and the gateway's answers that have no model in
`domain/` (a declaration's id, a list entry). Decisions answer `domain.incident.decisions.DecisionResult`,
one incident `domain.incident.state.IncidentState`, `GET /api/whoami` `domain.identity.principal.Principal`; the
shapes of gateway/*_views.py are repeated here with what the CLI shows (the CLI does not import the gateway)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, HttpUrl, StringConstraints

from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
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


class PostmortemView(BaseModel):
    """`GET|PUT /api/incidents/{id}/postmortem`: the draft with the version a save names."""

    incident_id: str
    status: Literal["draft", "published"]
    markdown: str
    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None
    owner: str | None = None
    deadline: datetime
    published_at: datetime | None = None
    published_by: str | None = None
    template_sections: list[str] = []


class Contacts(BaseModel):
    slack_id: str | None = None
    email: str | None = None
    phone: str | None = None


class Holder(BaseModel):
    """One tier of `GET /api/oncall`."""

    tier: Tier
    tier_name: str
    who: str | None
    name: str | None
    since: datetime | None
    until: datetime | None
    override: str | None = None
    contacts: Contacts = Contacts()


class OnCallNow(BaseModel):
    at: datetime
    timezone: str
    tiers: list[Holder]


class Shift(BaseModel):
    start: datetime
    end: datetime
    who: str | None
    name: str | None
    override: str | None = None


class TierCalendar(BaseModel):
    tier: Tier
    shifts: list[Shift]


class OnCallCalendar(BaseModel):
    """`GET /api/oncall/calendar`."""

    start: datetime
    end: datetime
    timezone: str
    tiers: list[TierCalendar]


class OverrideView(BaseModel):
    """`/api/oncall/overrides`: one stored override."""

    id: str
    tier: Tier
    person: str
    name: str
    start: datetime
    end: datetime
    reason: str
    warning: str | None = None
