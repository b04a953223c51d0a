"""`GET /api/audit`: the audit log (docs/security.md, "Roles and the audit log") with the filters of
`incident audit`; for commanders and admins."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from domain.common.durations import parse_duration
from domain.identity.audit import AuditEntry
from domain.identity.principal import Source
from gateway.api import REFUSALS, GatewayDep, authorized
from gateway.principal import PrincipalDep
from service import audit
from service.temporal import incident_id

router = APIRouter(prefix="/api", tags=["audit"])


def _since(since: Annotated[str | None, Query(description="Only entries this recent, e.g. 30m, 24h, 7d")] = None
           ) -> datetime | None:
    if since is None:
        return None
    try:
        return datetime.now(UTC) - parse_duration(since)
    except ValueError as exc:
        raise HTTPException(422, f"since: {exc}") from None


@router.get("/audit", responses=REFUSALS, response_model=list[AuditEntry],
            summary="The audit log, newest first (like `incident audit --json`): who did or tried what, where from")
async def audit_log(
    gateway: GatewayDep, principal: PrincipalDep,
    since: Annotated[datetime | None, Depends(_since)],
    incident: Annotated[str | None, Query(description="One incident's entries")] = None,
    actor: Annotated[str | None, Query(description="A person, also when a token acted on their behalf")] = None,
    action: Annotated[str | None, Query(description="A decision kind or action, e.g. acknowledge, declare")] = None,
    refused: Annotated[bool, Query(description="Only refused actions")] = False,
    source: Annotated[Source | None, Query(description="api, cli, slack or console")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    await authorized(gateway, principal, "audit", incident)
    incident = incident_id(incident) if incident else None
    def read() -> list[AuditEntry]:
        return audit.entries(gateway.ledger(), incident=incident, actor=actor, action=action,
                             allowed=False if refused else None, source=source, since=since, limit=limit)

    return await asyncio.to_thread(read)
