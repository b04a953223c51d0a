"""Postmortems: the draft written at resolution lives in the ledger (and `<data dir>/postmortems/<id>.md`);
publishing goes through the PostmortemWorkflow, which records it and closes the incident
(docs/learning-loop.md)."""

from collections.abc import Callable
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from adapters.policy_files import load_policy
from adapters.stores.ledger import Ledger
from domain.common.text import terminal_text
from domain.incident.records import PostmortemRecord
from domain.learning.postmortem_sections import unfilled
from service.errors import ServiceError
from settings import get_settings
from workflows.postmortem import PostmortemWorkflow, Publish, postmortem_workflow_id


def postmortem(store: Ledger, incident: str) -> PostmortemRecord:
    record = store.postmortem(incident)
    if record is None:
        raise ServiceError(f"no postmortem for incident {incident!r} yet (it is drafted when a Sev0–Sev2 incident "
                           "resolves)")
    return record


def save_draft(store: Ledger, incident: str, markdown: str) -> PostmortemRecord:
    return store.update_draft(incident, markdown)


class TemplateTextLeft(ServiceError):
    """The draft's required sections still hold only the template's text: publish with force, or fill them in."""

    def __init__(self, incident: str, sections: list[str]) -> None:
        self.sections = sections
        super().__init__(f"the postmortem of {incident} still has template text in: {', '.join(sections)}; "
                         "fill them in (`incident postmortem edit`) or publish with --force")


def unfilled_sections(record: PostmortemRecord, policy_dir: Path | str | None = None) -> list[str]:
    """The policy's required sections that the draft (the file when there is one, as publishing reads it) leaves
    as the template wrote them."""
    directory = Path(policy_dir or get_settings().policy_dir)
    learning = load_policy(directory).incident.learning.postmortem
    path = Path(record.path) if record.path else None
    markdown = path.read_text(encoding="utf-8") if path and path.exists() else record.markdown
    template = (directory / learning.template).read_text(encoding="utf-8")
    return unfilled(markdown, template, learning.required_sections)


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
        record = ledger().postmortem(incident)
        left = unfilled_sections(record, policy_dir) if record is not None else []
        if left:
            raise TemplateTextLeft(incident, left)
    return await handle.execute_update(PostmortemWorkflow.publish, Publish(by=by, root_cause=root_cause))
