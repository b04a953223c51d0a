"""`/api/reports/{weekly|monthly}/{period}`: the incident review as JSON (what `incident report --json` prints, without
file paths) and its chart as PNG bytes rendered on request (nothing written to disk), for any viewer
(docs/learning-loop.md, docs/console.md "Reviews")."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from adapters.report_chart import render_chart
from adapters.report_files import gather_report
from domain.identity.principal import Principal
from domain.learning.reports import Period, Report
from gateway.api import GatewayDep, forbidden_as_403
from gateway.context import Gateway
from gateway.principal import PrincipalDep
from gateway.records_api import valid_policy
from service.authorization import authorize
from service.errors import ServiceError
from service.reports import review_period

router = APIRouter(prefix="/api/reports", tags=["reports"])
Kind = Literal["weekly", "monthly"]
PeriodText = Path(description="2026-W47 (weekly) or 2026-11 (monthly), or `current`", max_length=10)
REFUSALS = {401: {"description": "Missing or wrong bearer token"}, 403: {"description": "Reading needs a viewer"},
            422: {"description": "A period that is not one, e.g. `2026-13`"}}


def label_of(kind: Kind, at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone)).date()
    iso = local.isocalendar()
    return f"{iso.year}-W{iso.week:02d}" if kind == "weekly" else f"{local.year}-{local.month:02d}"


def neighbours(period: Period, zone: str) -> tuple[str, str]:
    """The labels of the period before and the one after."""
    return (label_of(period.kind, period.start - timedelta(days=1), zone),
            label_of(period.kind, period.end + timedelta(hours=12), zone))


def read_report(gateway: Gateway, principal: Principal, kind: Kind, period: str | None,
                with_chart: bool = False) -> tuple[Report, bytes | None]:
    """The review of `period` (None or `current`: the one containing now); ValueError names a bad period."""
    authorize(principal, "read", ledger=gateway.ledger())
    policy, now = valid_policy(gateway), datetime.now(UTC)
    text = None if period in (None, "", "current") else period
    try:
        chosen = review_period(policy, kind, text, now)
        neighbours(chosen, policy.incident.timezone)
    except OverflowError:  # 9999-W52 ends in year 10000
        raise ValueError(f"period {text!r}: outside the years 0002–9998") from None
    report = gather_report(gateway.ledger(), policy, chosen, now)
    return report, render_chart(report, policy) if with_chart else None


async def _read(gateway: Gateway, principal: Principal, kind: Kind, period: str, with_chart: bool):
    with forbidden_as_403():
        try:
            return await asyncio.to_thread(read_report, gateway, principal, kind, period, with_chart)
        except ValueError as exc:
            raise HTTPException(422, str(exc).replace("--period ", "period ")) from None
        except ServiceError as exc:
            raise HTTPException(503, str(exc)) from None


@router.get("/{kind}/{period}", response_model=Report, responses=REFUSALS,
            summary="The weekly or monthly incident review (like `incident report weekly --json`)")
async def report(kind: Kind, gateway: GatewayDep, principal: PrincipalDep, period: str = PeriodText) -> Report:
    found, _ = await _read(gateway, principal, kind, period, False)
    return found


@router.get("/{kind}/{period}/chart.png", response_class=Response, responses={
    **REFUSALS, 200: {"content": {"image/png": {}}, "description": "MTTR per severity against target, incidents "
                                                                  "per week"}},
            summary="The review's chart as PNG (the image in the Markdown report)")
async def chart(kind: Kind, gateway: GatewayDep, principal: PrincipalDep, period: str = PeriodText) -> Response:
    _, png = await _read(gateway, principal, kind, period, True)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
