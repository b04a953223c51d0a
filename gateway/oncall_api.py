"""`/api/oncall`: who is on call, the calendar, overrides (list, create, remove, swap) and the feed addresses, as
`incident oncall now|schedule|override|overrides|remove-override` and the console's On call page do
(docs/oncall.md, "The on-call API"); and `GET /api/oncall/compensation`, the monthly compensation report of
`incident oncall compensation` (docs/oncall.md, "Compensation") as JSON, Markdown or CSV, for commanders and admins.
Reading needs `read`; changing overrides needs `overrides` (admin), audited."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response

from adapters.stores.overrides import OverrideStore, OverrideStoreError, StoredOverride
from domain.identity.principal import Principal
from domain.incident.severity import Tier
from domain.oncall.compensation import CompensationReport, MonthError, parse_month
from domain.oncall.compensation_output import render_csv, render_markdown
from domain.policy.model import Policy
from gateway.api import REFUSALS, GatewayDep, authorized, forbidden_as_403
from gateway.context import Gateway
from gateway.oncall_feeds import FeedsOff, feed_url, person_path, tier_path
from gateway.oncall_views import (
    FeedLink,
    Feeds,
    Moment,
    OnCallCalendar,
    OnCallNow,
    OverrideRequest,
    OverrideView,
    Swap,
    SwapRequest,
    calendar_start,
    calendar_view,
    now_view,
    override_view,
)
from gateway.principal import PrincipalDep
from gateway.records_api import valid_policy
from gateway.temporal import unavailable_as
from service import oncall as oncall_service
from service.authorization import authorize
from service.compensation import compensation_report
from service.errors import ServiceError
from service.training import UntrainedPerson

router = APIRouter(prefix="/api/oncall", tags=["oncall"])
FORMATS = {
    200: {"content": {"application/json": {}, "text/markdown": {}, "text/csv": {}},
          "description": "The report in the asked format"},
}


@router.get("/compensation", responses={**REFUSALS, **FORMATS}, response_model=CompensationReport,
            summary="Hours on call, pages, incidents and pay per person for a month (like `incident oncall "
                    "compensation`)")
async def compensation(
    gateway: GatewayDep, principal: PrincipalDep,
    month: Annotated[str, Query(description="A month, e.g. 2026-11", examples=["2026-11"])],
    output: Annotated[Literal["json", "md", "csv"], Query(alias="format", description="json, md (Markdown) or csv")
                      ] = "json",
) -> Response | CompensationReport:
    await authorized(gateway, principal, "compensation")
    try:
        parse_month(month)
    except MonthError as exc:
        raise HTTPException(422, str(exc)) from None
    policy = gateway.policy()
    if policy is None:
        raise HTTPException(503, "the policy is invalid (see `incident policy check`)")
    store = OverrideStore(gateway.settings.data_dir, url=gateway.ledger_url)
    try:
        overrides = await asyncio.to_thread(oncall_service.stored_overrides, store)
    except OverrideStoreError as exc:
        raise HTTPException(503, str(exc)) from None
    client = await gateway.temporal.client()
    with unavailable_as(gateway.temporal):
        try:
            report = await compensation_report(client, policy, month, overrides)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    if output == "csv":
        return PlainTextResponse(render_csv(report), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="oncall-compensation-{month}.csv"'})
    if output == "md":
        return PlainTextResponse(render_markdown(report), media_type="text/markdown; charset=utf-8")
    return report


# ── who is on call, the calendar, overrides ─────────────────────────────────────────────────────────────
OVERRIDE_REFUSALS = {
    401: REFUSALS[401], 503: {"description": "The ledger cannot be used"},
    403: {"description": "Not an admin (audited), or the policy refuses an untrained person on call "
                         "(`training.untrained_oncall`); `detail` says which"},
    422: {"description": "A field is wrong: `errors[].field` names it"},
}


def override_store(gateway: Gateway) -> OverrideStore:
    return OverrideStore(gateway.settings.data_dir, url=gateway.ledger_url)


def policy_or_503(gateway: Gateway) -> Policy:
    policy = gateway.policy()
    if policy is None:
        raise HTTPException(503, "the policy is invalid (see `incident policy check`)")
    return policy


async def overrides_or_503(gateway: Gateway) -> list[StoredOverride]:
    try:
        return await asyncio.to_thread(oncall_service.stored_overrides, override_store(gateway))
    except OverrideStoreError as exc:
        raise HTTPException(503, str(exc)) from None


def invalid(field: str, message: str) -> RequestValidationError:
    """The gateway's 422 (`errors[].field`), for what pydantic accepted but the on-call rules refuse."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


async def may(gateway: Gateway, principal: Principal, action: str) -> None:
    with forbidden_as_403():
        await asyncio.to_thread(authorize, principal, action, ledger=gateway.ledger, audit_allowed=action != "read")


@router.get("", response_model=OnCallNow, responses=REFUSALS,
            summary="Who holds each tier now, until when, from the rotation or an override (`incident oncall now`)")
async def on_call(gateway: GatewayDep, principal: PrincipalDep,
                  at: Annotated[Moment | None, Query(description="Another moment (ISO 8601)")] = None) -> OnCallNow:
    await may(gateway, principal, "read")
    policy = policy_or_503(gateway)
    moment = oncall_service.in_zone(at, policy.oncall.rotation.timezone) if at else datetime.now(UTC)
    return now_view(policy, moment, await overrides_or_503(gateway))


@router.get("/calendar", response_model=OnCallCalendar, responses=REFUSALS,
            summary="Per tier, the shifts (start, end, person, source) from the start of this week "
                    "(`incident oncall schedule`)")
async def on_call_calendar(
    gateway: GatewayDep, principal: PrincipalDep,
    weeks: Annotated[int, Query(ge=1, le=26, description="How many weeks")] = 4,
    start: Annotated[Moment | None, Query(description="Default: midnight of this week's handover day")] = None,
) -> OnCallCalendar:
    await may(gateway, principal, "read")
    policy = policy_or_503(gateway)
    zone = policy.oncall.rotation.timezone
    begin = oncall_service.in_zone(start, zone) if start else calendar_start(policy, datetime.now(UTC))
    return calendar_view(policy, begin, weeks, await overrides_or_503(gateway))


@router.get("/overrides", response_model=list[OverrideView], responses=REFUSALS,
            summary="Stored overrides, oldest first (`incident oncall overrides`)")
async def list_overrides(
    gateway: GatewayDep, principal: PrincipalDep,
    include_past: Annotated[bool, Query(description="Also those that have ended")] = False,
) -> list[OverrideView]:
    await may(gateway, principal, "read")
    policy, now = policy_or_503(gateway), datetime.now(UTC)
    return [override_view(policy, o) for o in await overrides_or_503(gateway) if include_past or o.end > now]


def created_override(gateway: Gateway, principal: Principal, body: OverrideRequest) -> OverrideView:
    """Store one override for `principal` with the rules of `incident oncall override` (blocking)."""
    authorize(principal, "overrides", ledger=gateway.ledger(), audit_allowed=True)
    policy = valid_policy(gateway)
    wanted = oncall_service.new_override(policy, body.tier, body.person, body.start, body.end, body.reason)
    warnings: list[str] = []
    stored = oncall_service.add_override(override_store(gateway), wanted, created_by=principal.name, policy=policy,
                                         warn=warnings.append)
    return override_view(policy, stored, warnings[0] if warnings else None)


def swapped(gateway: Gateway, principal: Principal, body: SwapRequest) -> Swap:
    authorize(principal, "overrides", ledger=gateway.ledger(), audit_allowed=True)
    policy = valid_policy(gateway)
    warnings: list[str] = []
    pair = oncall_service.swap_shifts(override_store(gateway), policy, body.tier, body.first, body.second,
                                      body.reason, created_by=principal.name, warn=warnings.append)
    return Swap(overrides=[override_view(policy, o) for o in pair], warnings=warnings)


async def changed(change):
    """Run an override change off the event loop: 403 for a refusal (by role or by training), 422 naming the
    field, 503 when the ledger cannot be used."""
    try:
        with forbidden_as_403():
            return await asyncio.to_thread(change)
    except oncall_service.OverrideInvalid as exc:
        raise invalid(exc.field, exc.message) from None
    except UntrainedPerson as exc:
        raise HTTPException(403, str(exc)) from None
    except OverrideStoreError as exc:
        raise HTTPException(503, str(exc)) from None
    except ServiceError as exc:  # the policy cannot be loaded
        raise HTTPException(503, str(exc)) from None


@router.post("/overrides", status_code=201, response_model=OverrideView, responses=OVERRIDE_REFUSALS,
             summary="Put someone on call for a tier between two moments (`incident oncall override`)")
async def create_override(body: OverrideRequest, gateway: GatewayDep, principal: PrincipalDep) -> OverrideView:
    return await changed(lambda: created_override(gateway, principal, body))


@router.delete("/overrides/{override_id}", response_model=OverrideView,
               responses={**OVERRIDE_REFUSALS, 404: {"description": "No such override"}},
               summary="Remove a stored override (`incident oncall remove-override`)")
async def delete_override(override_id: str, gateway: GatewayDep, principal: PrincipalDep) -> OverrideView:
    return await changed(lambda: removed_override(gateway, principal, override_id))


def removed_override(gateway: Gateway, principal: Principal, override_id: str) -> OverrideView:
    authorize(principal, "overrides", ledger=gateway.ledger(), audit_allowed=True)
    store = override_store(gateway)
    if override_id not in {o.id for o in store.load()}:
        raise HTTPException(404, f"no override {override_id!r}")
    return override_view(valid_policy(gateway), oncall_service.remove_override(store, override_id))


@router.post("/swaps", status_code=201, response_model=Swap, responses=OVERRIDE_REFUSALS,
             summary="Two people exchange shifts of a tier: two overrides stored together")
async def swap(body: SwapRequest, gateway: GatewayDep, principal: PrincipalDep) -> Swap:
    return await changed(lambda: swapped(gateway, principal, body))


@router.get("/feeds", response_model=Feeds,
            responses={**REFUSALS, 404: {"description": "The feeds are off, or no such person"}},
            summary="The iCal feed addresses (with their keys): the caller's own, or `person`'s, and each tier's")
async def feeds(request: Request, gateway: GatewayDep, principal: PrincipalDep,
                person: Annotated[str | None, Query(description="Default: the caller")] = None) -> Feeds:
    await may(gateway, principal, "read")
    policy = policy_or_503(gateway)
    try:
        return feed_links(request, policy, person or principal.name, explicit=person is not None)
    except FeedsOff as exc:
        raise HTTPException(404, str(exc)) from None


def feed_links(request: Request, policy: Policy, person: str | None, explicit: bool = False) -> Feeds:
    """FeedsOff without the feed secret."""
    if explicit and person not in policy.oncall.people:
        raise HTTPException(404, f"{person!r} is not a person of the on-call policy")
    own = None
    if person in policy.oncall.people:
        own = FeedLink(person=person, name=policy.person_name(person), url=feed_url(request, person_path(person)))
    tiers = [FeedLink(tier=t, name=policy.oncall.tiers[t].name, url=feed_url(request, tier_path(t))) for t in Tier]
    return Feeds(person=own, tiers=tiers)
