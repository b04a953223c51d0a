"""`/api/periodic`: the periodic checks and their completion records (docs/learning-loop.md, "Periodic checks"),
like `incident periodic`. Recording takes a commander or an admin (the `periodic` action, audited); reading,
any viewer."""

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from domain.learning.periodic import NOTES_MAX, Completion
from gateway.api import GatewayDep, forbidden_as_403
from gateway.principal import PrincipalDep
from service import periodic
from service.authorization import authorize
from service.errors import Forbidden, ServiceError

router = APIRouter(prefix="/api/periodic", tags=["periodic"])
REFUSALS = {
    401: {"description": "Missing or wrong bearer token"},
    403: {"description": "Recording needs a commander or an admin (audited)"},
}


class PeriodicRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=40, description="A check id, e.g. weekly-stats")
    period: str | None = Field(None, max_length=10, description="2026-W49, 2026-12, 2026-Q4 or 2026; default: the "
                                                                "period containing completed_at")
    notes: str = Field("", max_length=NOTES_MAX, description="What was found or decided")
    completed_at: datetime | None = Field(None, description="With an offset; default: now")
    by: str | None = Field(None, max_length=80, description="Who did it (a person of the on-call policy); "
                                                            "default: the caller")


def _policy(gateway):
    policy = gateway.policy()
    if policy is None:
        raise ServiceError("the policy is invalid (see `incident policy check`)")
    return policy


@router.post("", status_code=201, response_model=Completion,
             responses={**REFUSALS, 422: {"description": "Unknown check, a bad period, a time in the future, a "
                                                         "period already recorded …"}},
             summary="Record a periodic check done (like `incident periodic done`)")
async def record(body: PeriodicRequest, gateway: GatewayDep, principal: PrincipalDep) -> Completion:
    def store() -> Completion:
        authorize(principal, "periodic", ledger=gateway.ledger(), audit_allowed=True)
        return periodic.record(gateway.ledger(), _policy(gateway), item=body.item, by=body.by or principal.name,
                               recorded_by=principal.actor(), period=body.period, notes=body.notes,
                               at=body.completed_at)

    with forbidden_as_403():
        try:
            return await asyncio.to_thread(store)
        except Forbidden:
            raise
        except ServiceError as exc:
            raise HTTPException(422, str(exc)) from None


@router.get("", response_model=list[periodic.CheckOverview], responses=REFUSALS,
            summary="Each periodic check with its current and previous period (like `incident periodic list --json`)")
async def list_periodic(gateway: GatewayDep, principal: PrincipalDep) -> list[periodic.CheckOverview]:
    def read() -> list[periodic.CheckOverview]:
        authorize(principal, "read", ledger=gateway.ledger())
        try:
            return periodic.overview(gateway.ledger(), _policy(gateway), datetime.now(UTC))
        except ServiceError as exc:
            raise HTTPException(422, str(exc)) from None

    with forbidden_as_403():
        return await asyncio.to_thread(read)
