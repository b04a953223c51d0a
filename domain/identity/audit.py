"""One line of the audit log (docs/security.md, "Roles and the audit log"): who acted or tried to, what, on which
incident, through which door, when, and whether it was allowed (with the reason when it was not)."""

from datetime import datetime

from domain.common.models import Strict
from domain.identity.principal import PrincipalKind, Source


class AuditEntry(Strict):
    at: datetime
    actor: str  # as the timeline records it: "hyunwoo", "api-token on behalf of minsu"
    principal: PrincipalKind
    principal_name: str | None = None  # who authenticated: a person, a token's name, the CLI's OS user
    action: str  # a decision kind or an action of NEEDED_ROLE ("declare", "read", "audit", ...)
    incident: str | None
    source: Source
    allowed: bool
    reason: str | None = None
