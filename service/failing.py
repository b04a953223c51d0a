"""Incidents whose workflow task keeps failing (a bug, a payload over Temporal's limits, a date that cannot be
converted): how Temporal shows it, and what is still known of them without their workflow, which answers no
query then. Read by `incident list`/`show`, the REST API and the watchdog (service/watchdog.py)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, TimeoutType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle
from temporalio.common import SearchAttributeKey

from domain.incident.state import IncidentStart, IncidentState

log = logging.getLogger(__name__)

# Two failed or timed-out workflow tasks in a row, as Temporal's own "Task Failures" view counts (one alone is a
# worker that died mid-task): docs/reliability.md, "Watchdog".
FAILING_AFTER = 2
# Set by the server on such workflows when `system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute`
# is on (Temporal Cloud: by default; self-hosted and the dev server: dynamic config), cleared at the next success.
REPORTED_PROBLEMS = SearchAttributeKey.for_keyword_list("TemporalReportedProblems")
PROBLEMS = (EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
SCAN_EVENTS = 2_000  # events read back (newest first) looking for the last completed workflow task
CAUSE_CHARS = 300
_RPC = timedelta(seconds=5)


class Failing(BaseModel):
    since: datetime = Field(description="The first failed or timed-out workflow task since the last one that "
                                        "completed: the incident's escalation has been stopped since then")
    failures: int = Field(description="Failed or timed-out workflow tasks in a row (at least)")
    cause: str = Field(description="What Temporal recorded for the first of them")
    episode: str = Field(description="Run id / event id of that first failure: one per failure episode")
    known_from: Literal["ledger", "previous run", "declaration", "visibility"] = Field(
        default="visibility", description="Where the incident's fields come from: the ledger's last record, the "
                                          "state the previous run handed over, the declaration alone, or (its "
                                          "input unreadable) Temporal's visibility")


class FailingIncident(BaseModel):
    """A running incident that cannot answer: its last known state, and since when it fails."""

    state: IncidentState
    failing: Failing
    run_id: str
    policy_dir: str | None = Field(default=None, description="The declaration's policy directory, if any")


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _cause(event: HistoryEvent) -> str:
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        kind = TimeoutType.Name(event.workflow_task_timed_out_event_attributes.timeout_type)
        return f"workflow task timed out ({kind.removeprefix('TIMEOUT_TYPE_').lower().replace('_', ' ')})"
    attributes = event.workflow_task_failed_event_attributes
    kind = WorkflowTaskFailedCause.Name(attributes.cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
    return f"{kind.lower().replace('_', ' ')}: {attributes.failure.message}"[:CAUSE_CHARS]


async def _problems_since_last_completed(client: Client, workflow_id: str, run_id: str) -> list[HistoryEvent]:
    """Failed and timed-out workflow tasks after the last completed one, newest first. Retries of a failing
    task are not written to the history (only its attempt count grows), except when a signal comes in."""
    request = GetWorkflowExecutionHistoryReverseRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        maximum_page_size=200)
    problems, read = [], 0
    while read < SCAN_EVENTS:
        page = await client.workflow_service.get_workflow_execution_history_reverse(request, timeout=_RPC)
        for event in page.history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                return problems
            if event.event_type in PROBLEMS:
                problems.append(event)
        read += len(page.history.events)
        if not page.next_page_token:
            break
        request.next_page_token = page.next_page_token
    return problems


async def failing_of(client: Client, description: WorkflowExecutionDescription) -> Failing | None:
    """Since when the run's workflow task keeps failing, or None. A healthy incident has no pending workflow
    task, or one on its first attempt; DescribeWorkflowExecution gives the attempt without any history read."""
    task = description.raw_description.pending_workflow_task
    if task.attempt < 2:
        return None
    problems = await _problems_since_last_completed(client, description.id, description.run_id)
    if not problems:
        return None
    failures = len(problems) + task.attempt - 2  # the first of each series is in the history, the retries not
    if failures < FAILING_AFTER:
        return None
    first = problems[-1]
    return Failing(since=_time(first), failures=failures, cause=_cause(first),
                   episode=f"{description.run_id}/{first.event_id}")


async def _start_of(client: Client, handle: WorkflowHandle) -> tuple[IncidentStart, datetime]:
    """The run's input (the declaration; a continued run also carries the state so far) and its start time."""
    async for event in handle.fetch_history_events(page_size=1, rpc_timeout=_RPC):
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        [start] = await client.data_converter.decode(payloads, [IncidentStart])
        return start, _time(event)
    raise LookupError(f"{handle.id} has no history")


def _ledger_snapshot(incident_id: str) -> IncidentState | None:
    from adapters.stores.ledger import open_ledger

    try:
        return open_ledger().snapshot(incident_id)
    except Exception as exc:  # the ledger is a second source here: the declaration still names the incident
        log.info("incident %s: no ledger record read (%s)", incident_id, exc)
        return None


def _declared(start: IncidentStart, at: datetime) -> IncidentState:
    """The state the workflow began with, as its first task would have built it."""
    from adapters.policy_files import policy_snapshot
    from domain.incident.lifecycle import new_incident
    from domain.incident.severity import Severity

    try:
        return new_incident(start.policy or policy_snapshot(start.policy_dir), start, at)
    except Exception as exc:  # the very input that breaks the workflow may break this too: keep the plain fields
        log.info("incident %s: declaration replayed without its policy (%s)", start.id, exc)
        return IncidentState(id=start.id, title=start.title, service=start.service, drill=start.drill,
                             severity=start.severity or Severity.SEV1,  # unknown: treated as urgent
                             impact=start.impact, source=start.source, declared_by=start.declared_by,
                             started_at=at, detected_at=at)


async def _described(description: WorkflowExecutionDescription) -> IncidentState:
    """Last resort, when even the run's input cannot be read: what visibility holds (search attributes, the
    summary the starter gave)."""
    from domain.incident.severity import Severity
    from workflows import search
    from workflows.incident import WORKFLOW_ID_PREFIX

    attributes, at = description.typed_search_attributes, description.start_time
    severity = attributes.get(search.SEVERITY)
    return IncidentState(id=description.id.removeprefix(WORKFLOW_ID_PREFIX),
                         title=await description.static_summary() or "(its declaration could not be read)",
                         service=attributes.get(search.SERVICE) or "-", declared_by="-", started_at=at, detected_at=at,
                         severity=Severity(severity) if severity in set(Severity) else Severity.SEV1)


async def last_known(client: Client, description: WorkflowExecutionDescription, failing: Failing) -> FailingIncident:
    """The ledger's last record or the state the previous run handed over, whichever is newer; else the
    declaration replayed; else what visibility holds."""
    run = client.get_workflow_handle(description.id, run_id=description.run_id)
    try:
        start, started_at = await _start_of(client, run)
    except Exception as exc:
        log.warning("incident %s: input of its failing run not read (%s)", description.id, exc)
        return FailingIncident(state=await _described(description), failing=failing, run_id=description.run_id)
    known = [(s, source) for s, source in ((await asyncio.to_thread(_ledger_snapshot, start.id), "ledger"),
                                           (start.continued and start.continued.state, "previous run")) if s]
    if known:  # the longer timeline is the newer: both only ever grow
        state, source = max(known, key=lambda pair: len(pair[0].timeline))
    else:
        state, source = await asyncio.to_thread(_declared, start, started_at), "declaration"
    return FailingIncident(state=state, failing=failing.model_copy(update={"known_from": source}),
                           run_id=description.run_id, policy_dir=start.policy_dir)


async def failing_incident(client: Client, handle: WorkflowHandle,
                           description: WorkflowExecutionDescription | None = None) -> FailingIncident | None:
    """The incident behind `handle` if its latest run keeps failing its workflow task, else None."""
    description = description or await handle.describe(rpc_timeout=_RPC)
    failing = await failing_of(client, description)
    return None if failing is None else await last_known(client, description, failing)

