"""Reading incidents back from Temporal: running ones answer the `snapshot` query, finished ones give their
result. An incident that cannot answer (its worker is gone) is skipped with a warning, never waited on."""

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError

from domain.incident import IncidentState

log = logging.getLogger(__name__)
ANSWER_TIMEOUT = timedelta(seconds=5)


async def read_state(client: Client, execution: WorkflowExecution) -> IncidentState | None:
    from workflows.incident import IncidentWorkflow

    handle = client.get_workflow_handle_for(IncidentWorkflow.run, execution.id, run_id=execution.run_id)
    try:
        if execution.status == WorkflowExecutionStatus.COMPLETED:
            return await asyncio.wait_for(handle.result(), timeout=ANSWER_TIMEOUT.total_seconds())
        if execution.status == WorkflowExecutionStatus.RUNNING:
            return await handle.query(IncidentWorkflow.snapshot, rpc_timeout=ANSWER_TIMEOUT)
    except (RPCError, TimeoutError) as exc:
        log.warning("incident %s did not answer (%s); is a worker running?", execution.id, exc)
    return None


async def read_states(client: Client, query: str) -> list[IncidentState]:
    executions = [e async for e in client.list_workflows(query)]
    answers = await asyncio.gather(*(read_state(client, e) for e in executions))
    return [s for s in answers if s is not None]


async def run_histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run's history of one workflow, oldest first: a long incident continues as new runs
    (domain/continuation.py), and each run's first event names the run before it."""
    histories, run_id = [], None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.insert(0, history)
        run_id = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        if not run_id:
            return histories
