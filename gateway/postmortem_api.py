"""`/api/incidents/{id}/postmortem` and the action items (docs/learning-loop.md, "Drafts" and "Action items"), what
the console's postmortem page does and `incident postmortem|action` do locally. Reading takes `read`; saving and
publishing the draft `postmortem`; adding, finishing and verifying items `action_item` (responders and up, the
allowed ones audited). A save names the version it started from: a stale one answers 409 with the current
version; publishing with template text left answers 409 naming the sections (unless `force`)."""

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from adapters.stores.ledger_engine import LedgerError
from domain.incident.records import ActionItem, PostmortemRecord
from domain.learning.postmortem_draft import DRAFT_MAX_CHARS
from gateway.api import GatewayDep, forbidden_as_403
from gateway.context import Gateway
from gateway.principal import PrincipalDep
from gateway.records_api import valid_policy
from gateway.temporal import unavailable_as
from service import action_items, postmortems
from service.authorization import authorize
from service.errors import Forbidden, ServiceError

router = APIRouter(tags=["postmortems"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text holds no NUL characters
ActionId = Annotated[int, FastPath(ge=1, le=2**31 - 1, description="The item's number (`incident action list`)")]
REFUSALS = {401: {"description": "Missing or wrong bearer token"},
            403: {"description": "The caller's role does not allow it (audited)"},
            404: {"description": "No postmortem (or action item) yet"}}


class PostmortemView(BaseModel):
    incident_id: str
    status: Literal["draft", "published"]
    markdown: str
    version: int = Field(description="Give it back with PUT: a save from an older version is refused (409)")
    updated_at: datetime | None
    updated_by: str | None
    owner: str | None
    deadline: datetime
    published_at: datetime | None
    published_by: str | None
    template_sections: list[str] = Field(description="Required sections still holding the template's text")


class DraftSave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    markdown: str = Field(max_length=DRAFT_MAX_CHARS, pattern=NO_NUL)
    version: int = Field(ge=1, description="The version the text was edited from (GET's `version`)")


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root_cause: str | None = Field(None, max_length=80, pattern=NO_NUL,
                                   description="Root-cause category (else the draft's header)")
    force: bool = Field(False, description="Publish even with required sections left as the template wrote them")


class ActionItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500, pattern=NO_NUL)
    owner: str = Field(min_length=1, max_length=80, description="A person of the on-call policy")
    due: date = Field(ge=date(2000, 1, 1), le=date(2999, 12, 31),
                      description="YYYY-MM-DD; the owner is reminded that morning, then weekly")
    term: Literal["short", "mid", "long"] = "short"


class EvidenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence: str = Field(min_length=1, max_length=4000, pattern=NO_NUL,
                          description="What shows the fix works: a link, a drill …")


def view(gateway: Gateway, incident: str) -> PostmortemView:
    """The draft with its version and the required sections still holding template text (blocking)."""
    store = gateway.ledger()
    draft = postmortems.draft(store, incident)
    record = postmortems.postmortem(store, incident)
    left = [] if draft.status == "published" else postmortems.unfilled_sections(draft, gateway.settings.policy_dir)
    return PostmortemView(**{**record.model_dump(), **draft.model_dump()}, template_sections=left)


async def _blocking(call):
    """Off the event loop: a refusal answers 403, a missing postmortem 404, a refused request 422."""
    with forbidden_as_403():
        try:
            return await asyncio.to_thread(call)
        except Forbidden:
            raise
        except postmortems.DraftConflict:
            raise
        except (ServiceError, LedgerError) as exc:
            status = 404 if str(exc).startswith(("no postmortem", "no action item")) else 422
            raise HTTPException(status, str(exc)) from None


@router.get("/api/incidents/{incident}/postmortem", response_model=PostmortemView, responses=REFUSALS,
            summary="The postmortem draft, its version, the required sections still holding template text")
async def read_postmortem(incident: str, gateway: GatewayDep, principal: PrincipalDep) -> PostmortemView:
    def read():
        authorize(principal, "read", incident=incident, ledger=gateway.ledger())
        return view(gateway, incident)

    return await _blocking(read)


@router.put("/api/incidents/{incident}/postmortem", response_model=PostmortemView,
            responses={**REFUSALS, 409: {"description": "Saved by someone else since `version`: nothing changed; "
                                                        "the answer's `version` is the current one"}},
            summary="Save the draft (like `incident postmortem edit`), from the version it was edited from")
async def save_postmortem(incident: str, body: DraftSave, gateway: GatewayDep, principal: PrincipalDep):
    def store():
        authorize(principal, "postmortem", incident=incident, ledger=gateway.ledger(), audit_allowed=True)
        postmortems.save(gateway.ledger(), incident, body.markdown, principal.name, body.version)
        return view(gateway, incident)

    try:
        return await _blocking(store)
    except postmortems.DraftConflict as exc:  # `detail` says so; `version` is the one to edit from now
        return JSONResponse({"detail": str(exc), "version": exc.current.version}, status_code=409)


@router.post("/api/incidents/{incident}/postmortem/publish", response_model=PostmortemRecord,
             responses={**REFUSALS, 409: {"description": "Template text left in required sections (the answer's "
                                                         "`sections`), or already published"}},
             summary="Publish the postmortem (like `incident postmortem publish`): the incident closes")
async def publish(incident: str, body: PublishBody, gateway: GatewayDep, principal: PrincipalDep):
    await _blocking(lambda: authorize(principal, "postmortem", incident=incident, ledger=gateway.ledger(),
                                      audit_allowed=True))
    client = await gateway.temporal.client()
    try:
        with unavailable_as(gateway.temporal):
            return await postmortems.publish_postmortem(client, gateway.ledger, incident, principal.name,
                                                        body.root_cause, force=body.force,
                                                        policy_dir=gateway.settings.policy_dir)
    except postmortems.TemplateTextLeft as exc:
        return JSONResponse({"detail": str(exc), "sections": exc.sections}, status_code=409)
    except ServiceError as exc:
        raise HTTPException(404 if str(exc).startswith("no postmortem") else 409, str(exc)) from None


@router.get("/api/incidents/{incident}/action-items", response_model=list[ActionItem], responses=REFUSALS,
            summary="The incident's action items, soonest due first")
async def list_items(incident: str, gateway: GatewayDep, principal: PrincipalDep) -> list[ActionItem]:
    def read():
        authorize(principal, "read", incident=incident, ledger=gateway.ledger())
        return gateway.ledger().actions(incident_ids=[incident])

    return await _blocking(read)


@router.post("/api/incidents/{incident}/action-items", status_code=201, response_model=ActionItem,
             responses={**REFUSALS, 422: {"description": "Unknown owner, a bad date …"}},
             summary="Add an action item with an owner and a due date (like `incident action add`)")
async def add_item(incident: str, body: ActionItemBody, gateway: GatewayDep, principal: PrincipalDep) -> ActionItem:
    policy = valid_policy(gateway)

    def check():
        authorize(principal, "action_item", incident=incident, ledger=gateway.ledger(), audit_allowed=True)
        if (why := action_items.unknown_owner(policy, body.owner)) is not None:
            raise ServiceError(why)

    await _blocking(check)
    client = await gateway.temporal.client()
    try:
        with unavailable_as(gateway.temporal):
            return await action_items.add_action_item(
                client, gateway.settings.task_queue, gateway.ledger(), policy, incident, body.title.strip(),
                body.owner, body.due, body.term, principal.name, datetime.now(UTC))
    except LedgerError as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/api/action-items/{action_id}/done", response_model=ActionItem,
             responses={**REFUSALS, 422: {"description": "Already done"}},
             summary="Mark an action item done: its reminders stop (like `incident action done`)")
async def done(action_id: ActionId, gateway: GatewayDep, principal: PrincipalDep) -> ActionItem:
    await _blocking(lambda: authorize(principal, "action_item", ledger=gateway.ledger(), audit_allowed=True))
    client = await gateway.temporal.client()
    try:
        with unavailable_as(gateway.temporal):
            return await action_items.complete_action_item(client, gateway.ledger(), action_id, principal.name,
                                                           datetime.now(UTC))
    except LedgerError as exc:
        raise HTTPException(404 if str(exc).startswith("no action item") else 422, str(exc)) from None


@router.post("/api/action-items/{action_id}/verify", response_model=ActionItem,
             responses={**REFUSALS, 422: {"description": "Not done yet, or already verified"}},
             summary="Record that a done item's fix was checked to work, with the evidence (`incident action verify`)")
async def verify(action_id: ActionId, body: EvidenceBody, gateway: GatewayDep, principal: PrincipalDep) -> ActionItem:
    def store():
        authorize(principal, "action_item", ledger=gateway.ledger(), audit_allowed=True)
        return action_items.verify_action_item(gateway.ledger(), action_id, principal.name, body.evidence.strip(),
                                               datetime.now(UTC))

    return await _blocking(store)
