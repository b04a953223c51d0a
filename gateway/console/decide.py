"""Every control of the incident page posts here: the form becomes a decision, validated like the REST API's
body, and is sent with `service.decisions.decide_as` for the session's principal — the same authorization, audit
and incident rules as POST /api/incidents/{id}/decisions. Success goes back to the incident page (303); a
validation error, a refusal by role or by the incident's rules is shown next to the field or the control."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from domain.incident.decisions import OutsideDecision
from gateway.console import reading
from gateway.console.forms import checked_form, field_errors
from gateway.console.pages import csrf_refused, problem_page
from gateway.console.rendering import incident_page, policy_of
from gateway.console.session import UserDep
from gateway.context import gateway_of
from gateway.temporal import RPC_TIMEOUT, TemporalUnavailable, unavailable_as
from service import decisions
from service.errors import (
    DecisionPending,
    DecisionRefused,
    Forbidden,
    IncidentClosed,
    IncidentNotFound,
    IncidentNotRunning,
)
from service.incidents import state_of

router = APIRouter(include_in_schema=False)
DECISION = TypeAdapter(OutsideDecision)
UPDATE_TIMEOUT_SECONDS = 20.0
# The fields each decision takes from its form (`by` is always the person logged in)
FIELDS = {
    "acknowledge": (), "assign_role": ("role", "to"), "set_severity": ("severity",), "add_note": ("text",),
    "start_mitigation": (), "mark_mitigated": (), "resolve": ("summary",), "close": (), "escalate_now": ("reason",),
    "check_item": ("item",), "post_update": ("status", "message"), "approve_step": ("step", "runbook"),
    "reject_step": ("step", "runbook", "reason"), "run_runbook": ("runbook",),
}
OPTIONAL = {"summary", "reason", "runbook"}


def decision_of(form: dict[str, str], person: str) -> tuple[str, dict]:
    kind = form.get("kind", "")
    fields = FIELDS.get(kind, ())
    values = {f: form.get(f, "") for f in fields}
    body = {"kind": kind, "by": person, **{f: v for f, v in values.items() if v.strip() or f not in OPTIONAL}}
    return kind, body


@router.post("/incidents/{incident}/decide")
async def decide(request: Request, incident: str, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    kind, body = decision_of(form, user.principal.name)
    name = form.get("form") or kind  # which form on the page: its errors and values go back next to it
    values = {f"{name}.{k}": v for k, v in body.items() if k not in ("kind", "by")}
    if kind not in FIELDS:
        return await _again(request, user, incident, {name: f"unknown decision {kind!r}"}, values, 422)
    try:
        decision = DECISION.validate_python(body)
    except ValidationError as exc:
        errors = {f"{name}.{f}" if f else name: m for f, m in field_errors(exc, set(FIELDS[kind])).items()}
        return await _again(request, user, incident, errors, values, 422)
    people = policy_of(request).oncall.people
    if kind == "assign_role" and decision.to not in people:
        return await _again(request, user, incident, {f"{name}.to": f"unknown person {decision.to!r}: pick one of "
                                                      f"the people of the policy ({', '.join(sorted(people))})"},
                            values, 422)
    gateway = gateway_of(request)
    try:
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            await decisions.decide_as(client, user.principal, incident, decision, ledger=gateway.ledger,
                                      timeout=UPDATE_TIMEOUT_SECONDS, rpc_timeout=RPC_TIMEOUT)
    except Forbidden as exc:
        return await _again(request, user, incident, {name: f"Not allowed: {exc.reason}"}, values, 403)
    except (DecisionRefused, IncidentClosed, IncidentNotRunning) as exc:
        return await _again(request, user, incident, {name: f"Refused: {exc}"}, values, 409)
    except DecisionPending:
        return await _again(request, user, incident, {name: f"No answer from the incident within "
                                                      f"{UPDATE_TIMEOUT_SECONDS:.0f} s: it may still apply; watch the "
                                                      "timeline"}, values, 504)
    except IncidentNotFound as exc:
        return problem_page(request, user, f"Incident {incident}", str(exc), 404)
    except TemporalUnavailable as exc:
        return await _again(request, user, incident, {name: str(exc)}, values, 503)
    role = f"&role={decision.role.value}" if kind == "assign_role" else ""
    return RedirectResponse(f"/incidents/{incident}?done={kind}{role}", status_code=303)


async def _again(request: Request, user, incident: str, errors: dict, values: dict, status: int) -> Response:
    """The incident page once more, with what was typed kept and the problem next to where it was typed."""
    try:
        state = state_of(await reading.one_incident(gateway_of(request), incident))
    except reading.Unreadable as exc:
        return problem_page(request, user, f"Incident {incident}", exc.why, exc.status)
    return await incident_page(request, user, state, errors=errors, values=values, status=status)
