"""Who may do what, enforced for every client (docs/security.md, "Roles and the audit log"): `authorize` checks
a principal's role for an action and audits the refusal (and, when asked, the permission); `acting` names the
real actor in a decision, so the timeline and the ledger never show a free-text `by` from a person's token."""

import getpass
from datetime import UTC, datetime
from typing import TypeVar

from domain.common.limits import ACTOR_MAX, clip
from domain.identity.audit import AuditEntry
from domain.identity.principal import Principal, PrincipalKind, Source, refusal
from domain.identity.roles import Role
from domain.incident.state import IncidentState
from service import audit
from service.errors import Forbidden

D = TypeVar("D")


def authorize(principal: Principal, action: str, state: IncidentState | None = None, *,
              incident: str | None = None, actor: str | None = None, ledger: audit.LedgerSource = None,
              audit_allowed: bool = False) -> None:
    """Raise Forbidden (after auditing it) when `principal` may not take `action`; `state` is the incident acted
    on, whose IC holds commander rights. `actor` is the name the audit log records (default: the principal's);
    `audit_allowed` records a permitted action too (state changes are, reads are not)."""
    reason = refusal(principal, action, state)
    if reason is not None or audit_allowed:
        entry = AuditEntry(at=datetime.now(UTC), actor=actor or principal.name, principal=principal.kind,
                           principal_name=principal.name,
                           action=action, incident=incident or (state.id if state is not None else None),
                           source=principal.source, allowed=reason is None, reason=reason)
        audit.record(ledger, entry)
    if reason is not None:
        raise Forbidden(reason)


def acting(principal: Principal, decision: D, claimed_by: str | None = None) -> D:
    """A copy of `decision` naming who really acts: the person of a personal token or session whatever
    `claimed_by` says; for an admin or service token acting for someone, `by` is that person and `via` the token,
    so the timeline shows "api-token on behalf of minsu" while acknowledged_by stays minsu."""
    if principal.kind is PrincipalKind.PERSON or not claimed_by or claimed_by == principal.name:
        return decision.model_copy(update={"by": principal.name, "via": None})
    return decision.model_copy(update={"by": clip(claimed_by, ACTOR_MAX), "via": clip(principal.name, ACTOR_MAX)})


def local_operator() -> Principal:
    """Whoever runs the CLI against Temporal directly: nothing stands between them and Temporal, so they are an
    admin, named in the audit log after their OS user."""
    try:
        name = getpass.getuser()
    except OSError:  # no user name in the environment or the password database
        name = "unknown"
    return Principal(kind=PrincipalKind.ADMIN, name=name, role=Role.ADMIN, source=Source.CLI)
