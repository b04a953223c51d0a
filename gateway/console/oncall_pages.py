"""The console's On call page (`/oncall`): who holds each tier now, a 4-week calendar, the overrides with Remove,
the Create override and Swap forms, and the feed addresses. Each form goes through the very functions of
`/api/oncall` (gateway/oncall_api.py) with the session's principal: the same rules, role check and audit log."""

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from adapters.stores.overrides import OverrideStoreError
from domain.identity.principal import refusal
from gateway import oncall_api
from gateway.console import oncall_view
from gateway.console.forms import checked_form, field_errors
from gateway.console.pages import csrf_refused, problem_page
from gateway.console.rendering import base, policy_of
from gateway.console.session import ConsoleUser, UserDep
from gateway.console.templating import render
from gateway.context import gateway_of
from gateway.oncall_feeds import FeedsOff
from gateway.oncall_views import OverrideRequest, SwapRequest, calendar_start, calendar_view, now_view, override_view
from service import oncall as oncall_service
from service.errors import Forbidden, ServiceError
from service.training import UntrainedPerson

router = APIRouter(include_in_schema=False)
WEEKS = 4
CREATE_FIELDS = ("tier", "person", "start", "end", "reason")
SWAP_FIELDS = ("first", "second", "reason")
DONE = {"created": "Override created.", "removed": "Override removed.", "swapped": "Shifts swapped: two overrides "
        "created."}


async def _page(request: Request, user: ConsoleUser, errors: dict | None = None, values: dict | None = None,
                status: int = 200) -> Response:
    gateway = gateway_of(request)
    policy, now = policy_of(request), datetime.now(UTC)
    try:
        overrides = await oncall_api.overrides_or_503(gateway)
    except HTTPException as exc:
        return problem_page(request, user, "On call unavailable", str(exc.detail), exc.status_code)
    calendar = calendar_view(policy, calendar_start(policy, now), WEEKS, overrides)
    try:
        feeds, feeds_off = oncall_api.feed_links(request, policy, user.principal.name), None
    except FeedsOff as exc:
        feeds, feeds_off = None, str(exc)
    return render(request, "oncall.html", {
        **base(request, user), "errors": errors or {}, "values": values or {},
        "notice": DONE.get(request.query_params.get("done", "")) if status == 200 else None,
        "now": now_view(policy, now, overrides), "weeks": oncall_view.weeks(calendar),
        "tiers": [(t.tier.value, t.tier_name) for t in calendar.tiers],
        "overrides": oncall_view.upcoming([override_view(policy, o) for o in overrides], now),
        "swap_choices": oncall_view.swap_choices(calendar, now), "people": oncall_view.people(policy),
        "refused": refusal(user.principal, "overrides"), "feeds": feeds, "feeds_off": feeds_off,
        "timezone": policy.oncall.rotation.timezone}, status)


@router.get("/oncall")
async def oncall_page(request: Request, user: UserDep) -> Response:
    try:
        await oncall_api.may(gateway_of(request), user.principal, "read")
    except HTTPException as exc:
        return problem_page(request, user, "Not allowed", str(exc.detail), exc.status_code)
    return await _page(request, user)


async def _change(request: Request, user: ConsoleUser, form: str, change, errors_for: set[str],
                  values: dict, done: str) -> Response:
    """Run an override change; its refusal or the field it names goes back next to the form."""
    try:
        await asyncio.to_thread(change)
    except Forbidden as exc:
        return await _page(request, user, {form: f"Not allowed: {exc.reason}"}, values, 403)
    except UntrainedPerson as exc:
        return await _page(request, user, {f"{form}.person" if form == "create" else form: f"Refused: {exc}"},
                           values, 403)
    except oncall_service.OverrideInvalid as exc:
        key = f"{form}.{exc.field}" if exc.field in errors_for else form
        return await _page(request, user, {key: exc.message}, values, 422)
    except HTTPException as exc:
        return await _page(request, user, {form: str(exc.detail)}, values, exc.status_code)
    except (OverrideStoreError, ServiceError) as exc:
        return await _page(request, user, {form: str(exc)}, values, 503)
    return RedirectResponse(f"/oncall?done={done}", status_code=303)


@router.post("/oncall/overrides")
async def create(request: Request, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    values = {f"create.{k}": form.get(k, "") for k in CREATE_FIELDS}
    try:
        body = OverrideRequest.model_validate({k: form[k] for k in CREATE_FIELDS if form.get(k, "").strip()})
    except ValidationError as exc:
        errors = {f"create.{f}" if f else "create": m for f, m in field_errors(exc, set(CREATE_FIELDS)).items()}
        return await _page(request, user, errors, values, 422)
    return await _change(request, user, "create",
                         lambda: oncall_api.created_override(gateway_of(request), user.principal, body),
                         set(CREATE_FIELDS), values, "created")


@router.post("/oncall/overrides/{override_id}/remove")
async def remove(request: Request, override_id: str, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    return await _change(request, user, f"remove-{override_id}",
                         lambda: oncall_api.removed_override(gateway_of(request), user.principal, override_id),
                         set(), {}, "removed")


def _swap_body(form: dict[str, str]) -> SwapRequest:
    """The two chosen shifts ("<tier>@<moment>") as the API's swap: both of one tier."""
    first_tier, _, first = form.get("first", "").partition(oncall_view.SWAP_SEPARATOR)
    second_tier, _, second = form.get("second", "").partition(oncall_view.SWAP_SEPARATOR)
    if first and second and first_tier != second_tier:
        raise oncall_service.OverrideInvalid("second", f"pick a shift of the same tier as the first ({first_tier})")
    body = {"tier": first_tier or second_tier or None, "first": first or None, "second": second or None,
            "reason": form.get("reason", "")}
    return SwapRequest.model_validate({k: v for k, v in body.items() if v is not None})


@router.post("/oncall/swap")
async def swap(request: Request, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    values = {f"swap.{k}": form.get(k, "") for k in SWAP_FIELDS}
    try:
        body = _swap_body(form)
    except oncall_service.OverrideInvalid as exc:
        return await _page(request, user, {f"swap.{exc.field}": exc.message}, values, 422)
    except ValidationError as exc:
        errors = {f"swap.{f}" if f else "swap": m for f, m in field_errors(exc, set(SWAP_FIELDS)).items()}
        return await _page(request, user, errors, values, 422)
    return await _change(request, user, "swap", lambda: oncall_api.swapped(gateway_of(request), user.principal, body),
                         set(SWAP_FIELDS), values, "swapped")
