"""Postmortems: the draft written at resolution lives in the ledger, versioned (its export file is
`<data dir>/postmortems/<id>.md`); saving names the version it started from; publishing goes through the
PostmortemWorkflow, which records it and closes the incident (docs/learning-loop.md)."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from adapters import postmortem_files
from adapters.policy_files import load_policy
from adapters.stores.ledger import Ledger
from adapters.stores.ledger_drafts import StaleDraft
from adapters.stores.ledger_engine import LedgerError
from domain.common.text import terminal_text
from domain.incident.records import PostmortemRecord
from domain.learning.postmortem_draft import DRAFT_MAX_CHARS, PostmortemDraft
from domain.learning.postmortem_sections import unfilled
from service.errors import ServiceError
from settings import get_settings
from workflows.postmortem import PostmortemWorkflow, Publish, postmortem_workflow_id

NO_POSTMORTEM = "no postmortem for incident {!r} yet (it is drafted when a Sev0–Sev2 incident resolves)"


def postmortem(store: Ledger, incident: str) -> PostmortemRecord:
    record = store.postmortem(incident)
    if record is None:
        raise ServiceError(NO_POSTMORTEM.format(incident))
    return record


def save_draft(store: Ledger, incident: str, markdown: str) -> PostmortemRecord:
    return store.update_draft(incident, markdown)


def shown_text(store: Ledger, record: PostmortemRecord) -> str:
    """What `show` prints: a draft as it stands (a hand edit of its export file included), else the published
    text. Reads only."""
    current = store.postmortem_draft(record.incident_id) if record.status == "draft" else None
    edited = postmortem_files.hand_edit(store, current) if current is not None else None
    return edited if edited is not None else record.markdown


class DraftConflict(ServiceError):
    """A save from a stale version: someone saved in between; `current` is the draft as it is now."""

    def __init__(self, message: str, current: PostmortemDraft):
        super().__init__(message)
        self.current = current


def draft(store: Ledger, incident: str) -> PostmortemDraft:
    """The draft as it stands, with its version (a hand edit of the export file on this host taken in first)."""
    current = postmortem_files.take_in_hand_edit(store, incident, datetime.now(UTC))
    if current is None:
        raise ServiceError(NO_POSTMORTEM.format(incident))
    return current


def save(store: Ledger, incident: str, markdown: str, by: str, started_from: int,
         now: datetime | None = None) -> PostmortemDraft:
    """Store the text as the next version, if `started_from` is still the current one (DraftConflict otherwise);
    the export file is rewritten where the data directory is reachable."""
    if len(markdown) > DRAFT_MAX_CHARS:
        raise ServiceError(f"the draft is too long: at most {DRAFT_MAX_CHARS:,} characters (this has "
                           f"{len(markdown):,})")
    draft(store, incident)  # a hand edit of the file counts as a save someone made
    try:
        saved = store.save_postmortem_draft(incident, markdown, by, now or datetime.now(UTC), started_from)
    except StaleDraft as exc:
        raise DraftConflict(str(exc), exc.current) from None
    except LedgerError as exc:
        raise ServiceError(str(exc)) from None
    postmortem_files.export(store, incident, saved.path, saved.markdown)
    return saved


class TemplateTextLeft(ServiceError):
    """The draft's required sections still hold only the template's text: publish with force, or fill them in."""

    def __init__(self, incident: str, sections: list[str]) -> None:
        self.sections = sections
        super().__init__(f"the postmortem of {incident} still has template text in: {', '.join(sections)}; "
                         "fill them in (`incident postmortem edit`) or publish with --force")


def unfilled_sections(record: PostmortemRecord | PostmortemDraft, policy_dir: Path | str | None = None) -> list[str]:
    """The policy's required sections that the ledger's draft (what publishing reads) leaves as the template
    wrote them."""
    directory = Path(policy_dir or get_settings().policy_dir)
    learning = load_policy(directory).incident.learning.postmortem
    template = (directory / learning.template).read_text(encoding="utf-8")
    return unfilled(record.markdown, template, learning.required_sections)


async def publish_postmortem(client: Client, ledger: Callable[[], Ledger], incident: str, by: str,
                             root_cause: str | None = None, force: bool = False,
                             policy_dir: Path | str | None = None) -> PostmortemRecord:
    """Publish through the incident's PostmortemWorkflow. `ledger` is opened to say who published first when it
    is already published, and to read the draft: required sections left as the template wrote them refuse the
    publication (TemplateTextLeft) unless `force`."""
    handle = client.get_workflow_handle_for(PostmortemWorkflow.run, postmortem_workflow_id(incident))
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(f"no postmortem for incident {incident!r}: is it resolved, and does its severity "
                               "require one?") from None
        raise
    if description.status != WorkflowExecutionStatus.RUNNING:
        record = ledger().postmortem(incident)
        who = f" by {terminal_text(record.published_by)}" if record and record.published_by else ""
        raise ServiceError(f"the postmortem of {incident} is already published{who}")
    if not force:
        current = postmortem_files.take_in_hand_edit(ledger(), incident, datetime.now(UTC))
        left = unfilled_sections(current, policy_dir) if current is not None else []
        if left:
            raise TemplateTextLeft(incident, left)
    return await handle.execute_update(PostmortemWorkflow.publish, Publish(by=by, root_cause=root_cause))
