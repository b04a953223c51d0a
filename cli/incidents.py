"""Incident commands: declare, ack, assign, severity, note, mitigated, resolve, close, escalate, list, show."""

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated

import typer
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from activities.failing import FailingIncident
from activities.incident_reader import failing_or_none, query_snapshot, read_incidents
from cli.common import connect, fail, incident_handle, incident_id, print_json, run, workflow_id
from cli.render import render_incident, render_list
from domain import decisions as d
from domain.incident import IncidentStart, IncidentState
from domain.limits import Declaration
from domain.severity import Role, Severity
from settings import get_settings
from workflows.incident import IncidentWorkflow
from workflows.options import INCIDENT_TASK_TIMEOUT

By = Annotated[str, typer.Option("--by", help="Who is acting (a handle from the policy's people)")]
Id = Annotated[str, typer.Argument(help="Incident id as printed by `incident declare` / `incident list`")]


def new_incident_id(service: str, now: datetime) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", service.lower()).strip("-")[:24] or "incident"
    return f"{now:%Y%m%d}-{slug}-{secrets.token_hex(2)}"


async def declare_incident(client, start: IncidentStart, task_queue: str | None = None) -> str:
    await client.start_workflow(
        IncidentWorkflow.run, start, id=workflow_id(start.id), task_queue=task_queue or get_settings().task_queue,
        task_timeout=INCIDENT_TASK_TIMEOUT,
        static_summary=start.ui_summary(), static_details=start.ui_details(),
    )
    return start.id


async def send_decision(incident: str, decision) -> d.DecisionResult:
    client = await connect()
    handle = await incident_handle(client, incident)
    description = await handle.describe()
    if description.status != WorkflowExecutionStatus.RUNNING:
        fail(f"incident {incident_id(handle.id)} is closed ({description.status.name.lower()})")
    return await handle.execute_update(IncidentWorkflow.decide, decision)


def _decide(incident: str, decision) -> None:
    result = run(lambda: send_decision(incident, decision))
    print(f"{incident_id(workflow_id(incident))}: {result.text} (phase: {result.phase.value})")


def register(app: typer.Typer) -> None:
    @app.command()
    def declare(
        service: Annotated[str, typer.Option(help="Affected service, e.g. payments")],
        severity: Annotated[str, typer.Option(help="sev0 | sev1 | sev2 | sev3")],
        title: Annotated[str, typer.Option(help="One line: what is broken")],
        by: By,
        impact: Annotated[str | None, typer.Option(help="Who/what is affected")] = None,
    ) -> None:
        """Declare an incident; prints its id."""
        try:
            level = Severity.parse(severity)
        except ValueError as exc:
            fail(str(exc), 2)
        if not title.strip() or not service.strip() or not by.strip():
            fail("--service, --title and --by must not be empty", 2)
        Declaration(title=title, service=service, impact=impact, by=by)  # the limits every entry has
        now = datetime.now(UTC)
        start = IncidentStart(id=new_incident_id(service, now), title=title.strip(), service=service.strip(),
                              severity=level, impact=impact, declared_by=by.strip(), source="cli")

        async def body() -> str:
            return await declare_incident(await connect(), start)

        print(run(body))

    @app.command()
    def ack(incident: Id, by: By) -> None:
        """Acknowledge the page: stops acknowledgement escalation."""
        _decide(incident, d.Acknowledge(by=by))

    @app.command()
    def assign(
        incident: Id, by: By,
        role: Annotated[Role, typer.Option(help="ic | ops | comms | liaison | scribe")],
        to: Annotated[str, typer.Option("--to", help="Who takes the role")],
    ) -> None:
        """Give someone a role."""
        _decide(incident, d.AssignRole(role=role, to=to, by=by))

    @app.command()
    def severity(incident: Id, level: Annotated[str, typer.Argument(metavar="SEVERITY")], by: By) -> None:
        """Change the severity (re-plans escalation at once)."""
        try:
            parsed = Severity.parse(level)
        except ValueError as exc:
            fail(str(exc), 2)
        _decide(incident, d.SetSeverity(severity=parsed, by=by))

    @app.command()
    def note(incident: Id, text: Annotated[str, typer.Argument()], by: By) -> None:
        """Add a note to the timeline."""
        _decide(incident, d.AddNote(text=text, by=by))

    @app.command()
    def check(incident: Id, item: Annotated[str, typer.Argument(help="Checklist item id")], by: By) -> None:
        """Tick a checklist item."""
        _decide(incident, d.CheckItem(item=item, by=by))

    @app.command()
    def mitigating(incident: Id, by: By) -> None:
        """Record that mitigation has started."""
        _decide(incident, d.StartMitigation(by=by))

    @app.command()
    def mitigated(incident: Id, by: By) -> None:
        """Record that the bleeding has stopped."""
        _decide(incident, d.MarkMitigated(by=by))

    @app.command()
    def resolve(incident: Id, by: By, summary: Annotated[str | None, typer.Option()] = None) -> None:
        """Resolve the incident: stops all escalation."""
        _decide(incident, d.Resolve(by=by, summary=summary))

    @app.command()
    def close(incident: Id, by: By) -> None:
        """Close a resolved incident."""
        _decide(incident, d.Close(by=by))

    @app.command()
    def escalate(incident: Id, by: By, reason: Annotated[str | None, typer.Option()] = None) -> None:
        """Page the next tier up now."""
        _decide(incident, d.EscalateNow(by=by, reason=reason))

    @app.command()
    def update(
        incident: Id, by: By,
        message: Annotated[str, typer.Option(help="What to tell people")],
        status: Annotated[str, typer.Option(help="investigating|identified|monitoring|resolved")] = "investigating",
    ) -> None:
        """Post a communications update (resets the 15-minute reminder)."""
        try:
            decision = d.PostUpdate(by=by, status=status, message=message)
        except ValueError as exc:
            fail(f"--status: {exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}", 2)
        _decide(incident, decision)

    @app.command("list")
    def list_incidents(
        all_: Annotated[bool, typer.Option("--all", help="Include resolved and closed incidents")] = False,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Open incidents (or all of them)."""
        states = run(lambda: fetch_incidents(open_only=not all_))
        if as_json:
            print_json([summary(s) for s in states])
            return
        failing = [s for s in states if isinstance(s, FailingIncident)]
        healthy = [s for s in states if isinstance(s, IncidentState)]
        if failing:
            from cli.failing_render import render_failing_list

            render_failing_list(failing)
        if healthy or not failing:
            render_list(healthy)

    @app.command()
    def show(incident: Id, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Everything about one incident: roles, pages, checklist, timeline."""

        async def body() -> IncidentState | FailingIncident:
            client = await connect()
            return await fetch_state(await incident_handle(client, incident), client)

        state = run(body)
        if as_json:
            print_json(state_json(state))
        elif isinstance(state, FailingIncident):
            from cli.failing_render import render_failing_incident

            render_failing_incident(state)
        else:
            render_incident(state)


async def fetch_state(handle, client) -> IncidentState | FailingIncident:
    description = await handle.describe()
    if description.status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    try:
        state = await query_snapshot(handle)
    except RPCError:  # refused ("Workflow Task in failed state") or unanswered: say why if it keeps failing
        if (failing := await failing_or_none(client, handle)) is not None:
            return failing
        raise
    if state is None:
        fail(f"incident {incident_id(handle.id)} is still starting; try again in a moment")
    return state


async def fetch_incidents(open_only: bool, client=None) -> list[IncidentState | FailingIncident]:
    """Incidents from Temporal's visibility, newest first. One whose workflow task keeps failing comes as a
    FailingIncident (its last known state); any other that cannot answer is skipped with a warning."""
    client = client or await connect()
    query = "WorkflowType = 'IncidentWorkflow'"
    if open_only:
        query += " AND ExecutionStatus = 'Running'"
    return sorted(await read_incidents(client, query), key=lambda s: _state(s).detected_at, reverse=True)


def _state(entry: IncidentState | FailingIncident) -> IncidentState:
    return entry.state if isinstance(entry, FailingIncident) else entry


def _state_fields(state: IncidentState) -> dict:
    return state.model_dump(mode="json", exclude={"fired", "manual_escalations"})


def _failing_json(entry: IncidentState | FailingIncident) -> dict | None:
    """`failing`: null, or since when the incident's workflow task keeps failing (the rest is its last known
    state, from where `known_from` says)."""
    if not isinstance(entry, FailingIncident):
        return None
    return entry.failing.model_dump(mode="json")


def state_json(entry: IncidentState | FailingIncident, settings=None) -> dict:
    """`incident show --json` and `GET /api/incidents/{id}` (`settings`: the gateway's). Reads the policy and
    the ledger (the procedure-compliance score after resolution): call it off the event loop in async code."""
    from cli.learning_common import compliance_json

    state = _state(entry)
    return {**_state_fields(state), "compliance": compliance_json(state, settings), "failing": _failing_json(entry)}


def summary(entry: IncidentState | FailingIncident) -> dict:
    keys = ("id", "title", "service", "severity", "phase", "drill", "acknowledged_by", "started_at",
            "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "roles")
    data = _state_fields(_state(entry))
    return {**{k: data[k] for k in keys}, "failing": _failing_json(entry)}
