"""`/api/training`: record and list training completions (docs/oncall.md, "Training"), like `incident training`.
Recording takes a commander or an admin (the `training` action); reading, any viewer."""

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from domain.oncall.training import NOTES_MAX, TrainingRecord
from domain.policy.oncall_policy import TrainingKind
from gateway.api import GatewayDep, forbidden_as_403
from gateway.principal import PrincipalDep
from gateway.records_api import RECORDING_REFUSALS, stored, valid_policy
from service import training
from service.authorization import authorize

router = APIRouter(prefix="/api/training", tags=["training"])
REFUSALS = RECORDING_REFUSALS


class TrainingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person: str = Field(min_length=1, max_length=80, description="A person of the on-call policy")
    kind: TrainingKind
    completed_at: datetime | None = Field(None, description="With an offset; default: now")
    hours: float | None = Field(None, gt=0, le=1000, description="Default: the policy's hours for the kind")
    notes: str = Field("", max_length=NOTES_MAX)
    role: str | None = Field(None, max_length=80, description="A drill's role played, e.g. ic, comms")
    evaluation: str | None = Field(None, max_length=NOTES_MAX, description="The participant's evaluation (성과 평가)")
    scorecard: dict | None = Field(None, description="A drill's scorecard to archive (`incident drill run --json`)")
    by: str | None = Field(None, max_length=200, description="Who records it; default: the caller")


@router.post("", status_code=201, response_model=TrainingRecord,
             responses={**REFUSALS, 422: {"description": "Unknown person, a time in the future …"}},
             summary="Record a completed training (like `incident training record`)")
async def record(body: TrainingRequest, gateway: GatewayDep, principal: PrincipalDep) -> TrainingRecord:
    def store() -> TrainingRecord:
        authorize(principal, "training", ledger=gateway.ledger(), audit_allowed=True)
        return training.record(gateway.ledger(), valid_policy(gateway), person=body.person, kind=body.kind,
                               by=body.by or principal.name, at=body.completed_at, hours=body.hours,
                               notes=body.notes, role=body.role, evaluation=body.evaluation,
                               scorecard=body.scorecard)

    return await stored(store)


@router.get("", response_model=list[TrainingRecord], responses=REFUSALS,
            summary="Training completions, oldest first (like `incident training list --json`)")
async def list_training(
    gateway: GatewayDep, principal: PrincipalDep,
    person: Annotated[str | None, Query(description="Only this person's")] = None,
) -> list[TrainingRecord]:
    def read() -> list[TrainingRecord]:
        authorize(principal, "read", ledger=gateway.ledger())
        return training.records(gateway.ledger(), person)

    with forbidden_as_403():
        return await asyncio.to_thread(read)
