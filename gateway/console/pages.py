"""The console's pages: the incident list (`/`, `/incidents`), one incident (`/incidents/{id}`) and the declaration
form (`/incidents/new`), which declares through the service layer like POST /api/incidents."""

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.incident.state import IncidentStart, IncidentState
from gateway.console import reading
from gateway.console.forms import checked_form, field_errors
from gateway.console.listing import Filters
from gateway.console.rendering import base, incident_page, list_context, policy_of
from gateway.console.session import UserDep
from gateway.console.templating import render
from gateway.context import gateway_of
from gateway.payloads import DeclareRequest
from gateway.temporal import TemporalUnavailable, unavailable_as
from service.errors import Forbidden
from service.incidents import declare_as, new_incident_id, state_of

router = APIRouter(include_in_schema=False)
DECLARE_FIELDS = ("service", "severity", "title", "impact")
STARTING_WAIT_SECONDS = 5.0  # a page opened right after declaring waits for the incident's first snapshot


def problem_page(request: Request, user, title: str, why: str, status: int) -> Response:
    return render(request, "problem.html", {**base(request, user), "title": title, "why": why}, status)


def csrf_refused(request: Request, user) -> Response:
    return problem_page(request, user, "Refused: the form had no valid CSRF token",
                        "This form did not come from your console session (or the session changed since the page "
                        "was loaded). Nothing was changed. Reload the page and try again.", 403)


def parse_filters(raw: dict[str, str]) -> tuple[Filters, dict[str, str]]:
    """The list's filters; one the console does not accept is named (for its field) and left out."""
    try:
        return Filters.model_validate(raw), {}
    except ValidationError as exc:
        errors = field_errors(exc, set(Filters.model_fields))
        return Filters.model_validate({k: v for k, v in raw.items() if k not in errors}), errors


@router.get("/")
@router.get("/incidents")
async def incident_list(request: Request, user: UserDep) -> Response:
    gateway = gateway_of(request)
    try:
        await reading.may_read(gateway, user.principal)
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    raw = {k: v for k, v in request.query_params.items() if k in Filters.model_fields}
    filters, errors = parse_filters(raw)
    try:
        states = await reading.incidents(gateway, open_only=filters.show == "open")
    except reading.Unreadable as exc:
        return problem_page(request, user, "Incidents unavailable", exc.why, exc.status)
    return render(request, "list.html", {**list_context(request, user, states, filters), "errors": errors,
                                         "raw": raw})


@router.get("/incidents/new")
async def declare_form(request: Request, user: UserDep) -> Response:
    return _declare_page(request, user, {}, {"severity": "sev2"})


def _declare_page(request: Request, user, errors: dict, values: dict, status: int = 200) -> Response:
    policy = policy_of(request)
    return render(request, "declare.html", {
        **base(request, user), "errors": errors, "values": values,
        "severities": [(s.value, level.name, level.impact) for s, level in policy.incident.severities.items()],
        "services": policy.incident.status_components}, status)


@router.post("/incidents/new")
async def declare(request: Request, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    values = {k: form.get(k, "") for k in DECLARE_FIELDS}
    try:
        body = DeclareRequest.model_validate({**{k: v for k, v in values.items() if v.strip() or k != "impact"},
                                              "by": user.principal.name})
    except ValidationError as exc:
        return _declare_page(request, user, field_errors(exc, set(DECLARE_FIELDS)), values, 422)
    gateway = gateway_of(request)
    start = IncidentStart(id=new_incident_id(body.service, datetime.now(UTC)), title=body.title, service=body.service,
                          severity=body.severity, impact=body.impact, declared_by=body.by, source="console",
                          policy=gateway.policy())
    try:
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            incident = await declare_as(client, user.principal, start, task_queue=gateway.settings.task_queue,
                                        ledger=gateway.ledger)
    except Forbidden as exc:
        return _declare_page(request, user, {"": exc.reason}, values, 403)
    except TemporalUnavailable as exc:
        return _declare_page(request, user, {"": str(exc)}, values, 503)
    return RedirectResponse(f"/incidents/{incident}?declared=1", status_code=303)


async def starting_state(request: Request, incident: str) -> IncidentState:
    """The incident's state; one declared a moment ago is waited for (its first snapshot) a few seconds."""
    gateway = gateway_of(request)
    deadline = asyncio.get_running_loop().time() + STARTING_WAIT_SECONDS
    while True:
        try:
            return state_of(await reading.one_incident(gateway, incident))
        except reading.Unreadable as exc:
            if exc.status != 409 or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


@router.get("/incidents/{incident}")
async def incident_detail(request: Request, incident: str, user: UserDep) -> Response:
    gateway = gateway_of(request)
    try:
        await reading.may_read(gateway, user.principal, incident)
        state = await starting_state(request, incident)
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    except reading.Unreadable as exc:
        return problem_page(request, user, f"Incident {incident}", exc.why, exc.status)
    start_from = "external" if request.query_params.get("composer") == "external" else "internal"
    notice = done_notice(request, state)
    return await incident_page(request, user, state, notice=notice, start_from=start_from)


def done_notice(request: Request, state: IncidentState) -> dict | None:
    """After a decision the page says what was done: `?done=<kind>` (and `&role=` for a role, with its duties
    from the policy). Only known kinds and roles are shown, never text taken from the address."""
    from domain.incident.decisions import DECISION_KINDS
    from domain.incident.severity import Role

    params = request.query_params
    if params.get("declared") == "1":
        return {"text": f"Declared {state.id}.", "duties": []}
    kind = params.get("done")
    if kind not in DECISION_KINDS:
        return None
    notice = {"text": f"Done: {kind.replace('_', ' ')}.", "duties": []}
    role = params.get("role")
    if kind == "assign_role" and role in {r.value for r in Role}:
        spec = policy_of(request).incident.roles[Role(role)]
        notice = {"text": f"{state.roles.get(Role(role)) or 'Someone'} is now {spec.name}.",
                  "duties": list(spec.responsibilities)}
    return notice
