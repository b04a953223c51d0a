"""Postmortems: the draft written at resolution lives in the ledger (and `<data dir>/postmortems/<id>.md`);
publishing goes through the PostmortemWorkflow, which records it and closes the incident
(docs/learning-loop.md)."""

from collections.abc import Callable

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from adapters.stores.ledger import Ledger
from domain.common.text import terminal_text
from domain.incident.records import PostmortemRecord
from service.errors import ServiceError
from workflows.postmortem import PostmortemWorkflow, Publish, postmortem_workflow_id


def postmortem(store: Ledger, incident: str) -> PostmortemRecord:
    record = store.postmortem(incident)
    if record is None:
        raise ServiceError(f"no postmortem for incident {incident!r} yet (it is drafted when a Sev0–Sev2 incident "
                           "resolves)")
    return record


def save_draft(store: Ledger, incident: str, markdown: str) -> PostmortemRecord:
    return store.update_draft(incident, markdown)


async def publish_postmortem(client: Client, ledger: Callable[[], Ledger], incident: str, by: str,
                             root_cause: str | None = None) -> PostmortemRecord:
    """Publish through the incident's PostmortemWorkflow. `ledger` is opened only to say who published first
    when it is already published."""
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
    return await handle.execute_update(PostmortemWorkflow.publish, Publish(by=by, root_cause=root_cause))
