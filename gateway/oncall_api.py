"""`GET /api/oncall/compensation`: the monthly on-call compensation report of `incident oncall compensation`
(docs/oncall.md, "Compensation") as JSON, Markdown or CSV; for commanders and admins."""

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse, Response

from adapters.stores.overrides import OverrideStore, OverrideStoreError
from domain.oncall.compensation import CompensationReport, MonthError, parse_month
from domain.oncall.compensation_output import render_csv, render_markdown
from gateway.api import REFUSALS, GatewayDep, authorized
from gateway.principal import PrincipalDep
from gateway.temporal import unavailable_as
from service import oncall as oncall_service
from service.compensation import compensation_report

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
