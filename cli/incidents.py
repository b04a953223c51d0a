"""Incident commands: declare, ack, assign, severity, note, mitigated, resolve, close, escalate, list, show."""

from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import fail, print_json, run
from cli.render import render_incident, render_list
from domain.common.limits import Declaration
from domain.incident import decisions as d
from domain.incident.severity import Role, Severity
from domain.incident.state import IncidentStart, IncidentState
from service.authorization import local_operator
from service.decisions import decide_as
from service.failing import FailingIncident
from service.incidents import (
    Entry,
    declare_as,
    fetch_incidents,
    new_incident_id,
    read_incident,
    state_json,
    summary,
)
from service.temporal import connect, incident_id, workflow_id

By = Annotated[str, typer.Option("--by", help="Who is acting (a handle from the policy's people)")]
Id = Annotated[str, typer.Argument(help="Incident id as printed by `incident declare` / `incident list`")]


def _decide(incident: str, decision) -> None:
    async def body() -> d.DecisionResult:
        return await decide_as(await connect(), local_operator(), incident, decision, claimed_by_is_actor=True)

    result = run(body)
    print(f"{incident_id(workflow_id(incident))}: {result.text} (phase: {result.phase.value})")
    if result.duties:
        print(f"{result.role_name} — duties:\n" + "\n".join(f"  - {duty}" for duty in result.duties))


async def _listed(open_only: bool) -> list[Entry]:
    return await fetch_incidents(await connect(), open_only)


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
            return await declare_as(await connect(), local_operator(), start, claimed_by_is_actor=True)

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
        states = run(lambda: _listed(not all_))
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
            return await read_incident(await connect(), incident)

        state = run(body)
        if as_json:
            print_json(state_json(state))
        elif isinstance(state, FailingIncident):
            from cli.failing_render import render_failing_incident

            render_failing_incident(state)
        else:
            render_incident(state)
