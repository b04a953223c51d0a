"""Reading incidents back from Temporal: running ones answer the `snapshot` query, finished ones give their
result. One whose workflow task keeps failing is read from what is still known of it (service/failing.py);
any other that cannot answer (its worker is gone) is skipped with a warning, never waited on."""

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from domain.incident.state import IncidentState
from service.failing import FailingIncident, failing_incident

log = logging.getLogger(__name__)
ANSWER_TIMEOUT = timedelta(seconds=5)
QUERY_ATTEMPTS = 3
# the server's deadline, or the client's `rpc_timeout` running out ("Timeout expired" comes as CANCELLED)
UNANSWERED = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


async def query_snapshot(handle: WorkflowHandle, timeout: timedelta = ANSWER_TIMEOUT) -> IncidentState | None:
    """The running incident's `snapshot`. A query that reaches a run in the moment it continues as new
    (domain/incident/continuation.py) may go unanswered; asked again, a handle without a run id reaches the new run.
    Any other refusal (no such incident, no worker answering) is the caller's to report."""
    from workflows.incident import IncidentWorkflow

    for attempt in range(1, QUERY_ATTEMPTS):
        try:
            return await handle.query(IncidentWorkflow.snapshot, rpc_timeout=timeout)
        except RPCError as exc:
            if exc.status not in UNANSWERED:
                raise
            log.info("incident %s: query unanswered (attempt %d), asking again", handle.id, attempt)
    return await handle.query(IncidentWorkflow.snapshot, rpc_timeout=timeout)


async def read_state(client: Client, execution: WorkflowExecution) -> IncidentState | FailingIncident | None:
    from workflows.incident import IncidentWorkflow

    # a running incident is asked through its latest run: the listed one may have continued as new meanwhile
    run_id = execution.run_id if execution.status == WorkflowExecutionStatus.COMPLETED else None
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, execution.id, run_id=run_id)
    try:
        if execution.status == WorkflowExecutionStatus.COMPLETED:
            return await asyncio.wait_for(handle.result(), timeout=ANSWER_TIMEOUT.total_seconds())
        if execution.status == WorkflowExecutionStatus.RUNNING:
            return await query_snapshot(handle)
    except (RPCError, TimeoutError) as exc:
        failing = await failing_or_none(client, handle) if execution.status == WorkflowExecutionStatus.RUNNING else None
        if failing is not None:
            return failing
        log.warning("incident %s did not answer (%s); is a worker running?", execution.id, exc)
    return None


async def failing_or_none(client: Client, handle: WorkflowHandle) -> FailingIncident | None:
    try:
        return await failing_incident(client, handle)
    except Exception as exc:  # reading a broken incident must never break the listing of the others
        log.info("incident %s: not described (%s)", handle.id, exc)
        return None


async def read_incidents(client: Client, query: str) -> list[IncidentState | FailingIncident]:
    """One entry per incident: visibility can list a run that just continued as new next to its successor."""
    executions = [e async for e in client.list_workflows(query)]
    answers = await asyncio.gather(*(read_state(client, e) for e in executions))
    return list({_id_of(a): a for a in answers if a is not None}.values())


async def read_states(client: Client, query: str) -> list[IncidentState]:
    """The incidents that answered (reports); failing ones are left out, with a warning."""
    found = await read_incidents(client, query)
    for failing in (f for f in found if isinstance(f, FailingIncident)):
        log.warning("incident %s left out: its workflow task keeps failing since %s", failing.state.id,
                    failing.failing.since)
    return [s for s in found if isinstance(s, IncidentState)]


def _id_of(entry: IncidentState | FailingIncident) -> str:
    return entry.state.id if isinstance(entry, FailingIncident) else entry.id


async def run_histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run's history of one workflow, oldest first: a long incident continues as new runs
    (domain/incident/continuation.py), and each run's first event names the run before it."""
    histories, run_id = [], None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.insert(0, history)
        run_id = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        if not run_id:
            return histories
