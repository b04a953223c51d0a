"""`/api/tokens`: create, list and revoke API tokens over HTTP, admin only (docs/security.md, "Tokens"); the same
as `incident token`. The secret is in the answer to the POST and nowhere else, ever."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.common.durations import Duration
from domain.identity.principal import Principal, PrincipalKind
from domain.identity.roles import Role
from gateway.context import Gateway, gateway_of
from gateway.principal import PrincipalDep
from service import tokens
from service.authorization import authorize
from service.errors import Forbidden, ServiceError

router = APIRouter(prefix="/api/tokens", tags=["tokens"])
GatewayDep = Annotated[Gateway, Depends(gateway_of)]
LONGEST_LIFETIME = timedelta(days=3650)
REFUSALS = {
    401: {"description": "Missing or wrong bearer token"},
    403: {"description": "Only an admin may manage tokens (audited)"},
}


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=tokens.NAME_MAX, description="What the token is for")
    kind: PrincipalKind = Field(description="person (acts as that person), service (intake only) or admin")
    person: str | None = Field(None, description="A person of the policy, for a personal token")
    role: Role | None = Field(None, description="A personal token's cap, no higher than the person's own role")
    expires_in: Duration | None = Field(None, description="e.g. 90d; none: the token does not expire")

    @field_validator("expires_in")
    @classmethod
    def _lifetime(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(0) < value <= LONGEST_LIFETIME:
            raise ValueError("a lifetime above 0 and at most 3650d")
        return value


async def _admin(gateway: Gateway, principal: Principal, *, state_change: bool) -> None:
    try:
        await asyncio.to_thread(lambda: authorize(principal, "tokens", ledger=gateway.ledger(),
                                                  audit_allowed=state_change))
    except Forbidden as exc:
        raise HTTPException(403, exc.reason) from None


@router.post("", status_code=201, response_model=tokens.IssuedToken, responses=REFUSALS,
             summary="Create a token; the answer holds its secret, shown this once only")
async def create(body: TokenRequest, gateway: GatewayDep, principal: PrincipalDep) -> tokens.IssuedToken:
    await _admin(gateway, principal, state_change=True)
    now = datetime.now(UTC)
    expires_at = now + body.expires_in if body.expires_in is not None else None

    def issue() -> tokens.IssuedToken:
        return tokens.issue(gateway.ledger(), name=body.name, kind=body.kind, person=body.person, role=body.role,
                            expires_at=expires_at, policy=gateway.policy(), created_by=principal.name, now=now)

    try:
        return await asyncio.to_thread(issue)
    except ServiceError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("", response_model=list[tokens.TokenInfo], responses=REFUSALS,
            summary="Every token, newest first (never a secret or a hash)")
async def list_tokens(gateway: GatewayDep, principal: PrincipalDep) -> list[tokens.TokenInfo]:
    await _admin(gateway, principal, state_change=False)
    return await asyncio.to_thread(lambda: tokens.tokens(gateway.ledger()))


@router.delete("/{token_id}", status_code=204, responses={**REFUSALS, 404: {"description": "No such token"}},
               summary="Revoke a token: refused from the next request on")
async def revoke(token_id: str, gateway: GatewayDep, principal: PrincipalDep) -> Response:
    await _admin(gateway, principal, state_change=True)
    try:
        await asyncio.to_thread(lambda: tokens.revoke(gateway.ledger(), token_id))
    except tokens.UnknownToken as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)
