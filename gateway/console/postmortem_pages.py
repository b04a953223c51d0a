"""The postmortem page of the console (`/incidents/{id}/postmortem`, docs/console.md "Postmortems"): the ledger's
draft in a textarea with a server-rendered preview, Save (from the version it was loaded at), Publish (the
template-text guard names the sections and offers "publish anyway"), and the incident's action items with Add,
Done and Verify. Every form carries the CSRF token and goes through the service layer with the session's
principal (`read`, `postmortem`, `action_item`, audited like /api/). Errors are shown next to their field with
what was typed kept."""

import asyncio
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from adapters.stores.ledger_engine import LedgerError
from domain.learning.postmortem_draft import DRAFT_MAX_CHARS
from gateway.console.forms import checked_form, field_errors
from gateway.console.markdown_preview import preview
from gateway.console.pages import csrf_refused, problem_page
from gateway.console.rendering import base, policy_of
from gateway.console.session import UserDep
from gateway.console.templating import render
from gateway.context import gateway_of
from gateway.postmortem_api import ActionItemBody
from gateway.temporal import TemporalUnavailable, unavailable_as
from service import action_items, postmortems
from service.authorization import authorize
from service.errors import Forbidden, ServiceError

router = APIRouter(include_in_schema=False)
NOTICES = {"saved": "Draft saved.", "published": "Published: the incident is closed.", "added": "Action item added.",
           "done": "Action item done.", "verified": "Action item verified."}


def _page_path(incident: str) -> str:
    return f"/incidents/{incident}/postmortem"


async def _page(request: Request, user, incident: str, *, errors: dict | None = None, values: dict | None = None,
                status: int = 200, shown: str | None = None, version: int | None = None,
                rendered: str | None = None, confirm: list[str] | None = None) -> Response:
    gateway = gateway_of(request)

    def read():
        authorize(user.principal, "read", incident=incident, ledger=gateway.ledger())
        store = gateway.ledger()
        draft = postmortems.draft(store, incident)
        record = postmortems.postmortem(store, incident)
        left = [] if draft.status == "published" else postmortems.unfilled_sections(draft, gateway.settings.policy_dir)
        return draft, record, left, store.actions(incident_ids=[incident])

    try:
        draft, record, left, items = await asyncio.to_thread(read)
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    except ServiceError as exc:
        return problem_page(request, user, f"Postmortem of {incident}", str(exc), 404)
    policy = policy_of(request)
    text = draft.markdown if shown is None else shown
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(request, "postmortem.html", {
        **base(request, user), "incident": incident, "draft": draft, "record": record, "left": left,
        "items": items, "text": text, "version": draft.version if version is None else version,
        "preview": rendered, "preview_of_published": preview(record.markdown) if draft.status == "published" else None,
        "errors": errors or {}, "values": values or {}, "confirm": confirm, "notice": notice,
        "people": sorted(policy.oncall.people), "today": datetime.now(UTC).date().isoformat(),
        "max_chars": DRAFT_MAX_CHARS}, status)


@router.get("/incidents/{incident}/postmortem")
async def postmortem_page(request: Request, incident: str, user: UserDep) -> Response:
    return await _page(request, user, incident)


@router.post("/incidents/{incident}/postmortem")
async def edit(request: Request, incident: str, user: UserDep) -> Response:
    """Preview (render the text, keep it in the editor) or Save (the next version, from the one loaded)."""
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    # browsers send CRLF; PostgreSQL text holds no NUL
    text, action = form.get("markdown", "").replace("\r\n", "\n").replace("\x00", ""), form.get("do", "preview")
    try:
        version = int(form.get("version", ""))
    except ValueError:
        return await _page(request, user, incident, errors={"markdown": "the form lost its version: reload the page"},
                           shown=text, status=422)
    if action != "save":
        return await _page(request, user, incident, shown=text, version=version, rendered=preview(text))
    gateway = gateway_of(request)

    def store():
        authorize(user.principal, "postmortem", incident=incident, ledger=gateway.ledger(), audit_allowed=True)
        postmortems.save(gateway.ledger(), incident, text, user.principal.name, version)

    try:
        await asyncio.to_thread(store)
    except Forbidden as exc:
        return await _page(request, user, incident, errors={"markdown": f"Not allowed: {exc.reason}"}, shown=text,
                           version=version, status=403)
    except postmortems.DraftConflict as exc:
        return await _page(request, user, incident, errors={"markdown": f"Not saved: {exc}"}, shown=text,
                           version=version, status=409)
    except ServiceError as exc:
        return await _page(request, user, incident, errors={"markdown": str(exc)}, shown=text, version=version,
                           status=422)
    return RedirectResponse(f"{_page_path(incident)}?done=saved", status_code=303)


@router.post("/incidents/{incident}/postmortem/publish")
async def publish(request: Request, incident: str, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    root_cause = form.get("root_cause", "").replace("\x00", "").strip() or None
    values = {"root_cause": root_cause or ""}
    if root_cause and len(root_cause) > 80:
        return await _page(request, user, incident, errors={"root_cause": "too long: at most 80 characters"},
                           values=values, status=422)
    gateway = gateway_of(request)
    try:
        await asyncio.to_thread(authorize, user.principal, "postmortem", incident=incident, ledger=gateway.ledger(),
                                audit_allowed=True)
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            await postmortems.publish_postmortem(client, gateway.ledger, incident, user.principal.name, root_cause,
                                                 force=form.get("force") == "1", policy_dir=gateway.settings.policy_dir)
    except Forbidden as exc:
        return await _page(request, user, incident, errors={"publish": f"Not allowed: {exc.reason}"}, values=values,
                           status=403)
    except postmortems.TemplateTextLeft as exc:
        return await _page(request, user, incident, values=values, status=409, confirm=exc.sections)
    except (ServiceError, TemporalUnavailable) as exc:
        return await _page(request, user, incident, errors={"publish": f"Refused: {exc}"}, values=values, status=409)
    return RedirectResponse(f"{_page_path(incident)}?done=published", status_code=303)


@router.post("/incidents/{incident}/action-items")
async def add_item(request: Request, incident: str, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    fields = ("title", "owner", "due", "term")
    values = {f"add.{k}": form.get(k, "") for k in fields}
    try:
        body = ActionItemBody.model_validate({k: form.get(k, "") for k in fields})
    except ValidationError as exc:
        errors = {f"add.{k}" if k else "add": m for k, m in field_errors(exc, set(fields)).items()}
        if "add.due" in errors:
            errors["add.due"] = f"{form.get('due', '')!r} is not a date: use YYYY-MM-DD, e.g. {date.today()}"
        return await _page(request, user, incident, errors=errors, values=values, status=422)
    policy = policy_of(request)
    if (why := action_items.unknown_owner(policy, body.owner)) is not None:
        return await _page(request, user, incident, errors={"add.owner": why}, values=values, status=422)
    gateway = gateway_of(request)
    try:
        await asyncio.to_thread(authorize, user.principal, "action_item", incident=incident, ledger=gateway.ledger(),
                                audit_allowed=True)
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            await action_items.add_action_item(client, gateway.settings.task_queue, gateway.ledger(), policy,
                                               incident, body.title.strip(), body.owner, body.due, body.term,
                                               user.principal.name, datetime.now(UTC))
    except Forbidden as exc:
        return await _page(request, user, incident, errors={"add": f"Not allowed: {exc.reason}"}, values=values,
                           status=403)
    except (LedgerError, TemporalUnavailable) as exc:
        return await _page(request, user, incident, errors={"add": str(exc)}, values=values, status=409)
    return RedirectResponse(f"{_page_path(incident)}?done=added", status_code=303)


@router.post("/incidents/{incident}/action-items/{action_id}/{step}")
async def item_step(request: Request, incident: str, action_id: int, step: str, user: UserDep) -> Response:
    """Done, or Verify with the evidence."""
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    key = f"item-{action_id}"
    evidence = form.get("evidence", "").replace("\x00", "").strip()
    if step not in ("done", "verify") or not 1 <= action_id < 2**31:
        return await _page(request, user, incident, errors={key: f"no such step {step!r} of item {action_id}"},
                           status=404)
    if step == "verify" and not evidence:
        return await _page(request, user, incident, errors={f"{key}.evidence": "required: say what shows it works"},
                           status=422)
    gateway = gateway_of(request)
    try:
        await asyncio.to_thread(authorize, user.principal, "action_item", incident=incident, ledger=gateway.ledger(),
                                audit_allowed=True)
        if step == "done":
            client = await gateway.temporal.client()
            with unavailable_as(gateway.temporal):
                await action_items.complete_action_item(client, gateway.ledger(), action_id, user.principal.name,
                                                        datetime.now(UTC))
        else:
            await asyncio.to_thread(action_items.verify_action_item, gateway.ledger(), action_id,
                                    user.principal.name, evidence[:4000], datetime.now(UTC))
    except Forbidden as exc:
        return await _page(request, user, incident, errors={key: f"Not allowed: {exc.reason}"}, status=403)
    except (LedgerError, TemporalUnavailable) as exc:
        return await _page(request, user, incident, errors={key: f"Refused: {exc}"}, status=409)
    return RedirectResponse(f"{_page_path(incident)}?done={'done' if step == 'done' else 'verified'}",
                            status_code=303)
