"""The console's Reviews page (`/reviews`, docs/console.md "Reviews"): the weekly or monthly incident review of a
period (default the current one, links to the previous and next) as HTML sections, with its chart rendered on
request by the report code (`/reviews/{kind}/{period}/chart.png`). Read through gateway/reports_api.py with the
session's principal, so it is the very report of `/api/reports/…` and `incident report`."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.learning.report_markdown import fmt
from gateway import reports_api
from gateway.console.pages import problem_page
from gateway.console.rendering import base
from gateway.console.session import UserDep
from gateway.console.templating import render
from gateway.context import gateway_of
from service.errors import Forbidden, ServiceError

router = APIRouter(include_in_schema=False)
KINDS = ("weekly", "monthly")
VERDICT = {True: ("pass", "pass"), False: ("fail", "fail"), None: ("none", "no data")}


@router.get("/reviews")
async def reviews(request: Request, user: UserDep) -> Response:
    kind = request.query_params.get("kind", "weekly")
    period = request.query_params.get("period") or None
    errors = {}
    if kind not in KINDS:
        errors["kind"], kind = f"unknown value {kind!r}: use weekly or monthly", "weekly"
    gateway = gateway_of(request)
    try:
        report, _ = await asyncio.to_thread(reports_api.read_report, gateway, user.principal, kind, period)
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    except ValueError as exc:
        errors["period"] = str(exc).replace("--period ", "")
        report, _ = await asyncio.to_thread(reports_api.read_report, gateway, user.principal, kind, None)
    except ServiceError as exc:
        return problem_page(request, user, "Reviews unavailable", str(exc), 503)
    previous, following = reports_api.neighbours(report.period, report.timezone)
    status = 422 if errors else 200
    return render(request, "reviews.html", {
        **base(request, user), "report": report, "kind": kind, "errors": errors, "fmt": fmt, "verdict": VERDICT,
        "typed_period": period or "", "previous": previous, "following": following,
        "chart": f"/reviews/{kind}/{report.period.label}/chart.png"}, status)


@router.get("/reviews/{kind}/{period}/chart.png")
async def chart(request: Request, kind: str, period: str, user: UserDep) -> Response:
    if kind not in KINDS:
        return Response(f"unknown review {kind!r}: use weekly or monthly", 404, media_type="text/plain")
    try:
        _, png = await asyncio.to_thread(reports_api.read_report, gateway_of(request), user.principal, kind, period,
                                         True)
    except Forbidden as exc:
        return Response(exc.reason, 403, media_type="text/plain")
    except ValueError as exc:
        return Response(str(exc), 422, media_type="text/plain")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
