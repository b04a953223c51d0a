"""Incident commands: declare, ack, assign, severity, note, mitigated, resolve, close, escalate, list, show.

Each command works locally (Temporal and the ledger, as configured) or, with a gateway configured
(`INCIDENTFLOW_URL` + `INCIDENTFLOW_TOKEN`, or `incident login`), remotely over its REST API: one command per
verb, `remote_target()` picks the way (cli/remote_commands.py holds the remote side)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import connect, fail, print_json, run
from cli.remote_config import remote_target
from domain.incident.severity import Role

By = Annotated[str | None, typer.Option(
    "--by", help="Who is acting (a handle from the policy's people); remote: default the token's person")]
Id = Annotated[str, typer.Argument(help="Incident id as printed by `incident declare` / `incident list`")]
# workflows.incident.WORKFLOW_ID_PREFIX (a test compares): an id may be given with it, as Temporal's UI shows it
WORKFLOW_ID_PREFIX = "incident-"


def _who(by: str | None) -> str:
    """Locally `--by` is the actor and required (remotely the gateway knows who is acting)."""
    if by is None:
        fail("Missing option '--by'.", 2)
    return by


def decide(incident: str, by: str | None, decision: Callable) -> None:
    """Send the decision `decision(actor)` builds; print what the incident answered."""
    remote = remote_target()
    if remote is not None:
        from cli.remote_commands import decide_remotely

        result = decide_remotely(remote, incident, by, decision)
    else:
        from service.authorization import local_operator
        from service.decisions import decide_as

        sent = decision(_who(by))

        async def body():
            return await decide_as(await connect(), local_operator(), incident, sent, claimed_by_is_actor=True)

        result = run(body)
    shown = incident.removeprefix(WORKFLOW_ID_PREFIX)
    print(f"{shown}: {result.text} (phase: {result.phase.value})")
    if result.duties:
        print(f"{result.role_name} — duties:\n" + "\n".join(f"  - {duty}" for duty in result.duties))



def register(app: typer.Typer) -> None:
    @app.command()
    def declare(
        service: Annotated[str, typer.Option(help="Affected service, e.g. payments")],
        severity: Annotated[str, typer.Option(help="sev0 | sev1 | sev2 | sev3")],
        title: Annotated[str, typer.Option(help="One line: what is broken")],
        by: By = None,
        impact: Annotated[str | None, typer.Option(help="Who/what is affected")] = None,
    ) -> None:
        """Declare an incident; prints its id."""
        from domain.common.limits import Declaration
        from domain.incident.severity import Severity

        remote = remote_target()
        try:
            level = Severity.parse(severity)
        except ValueError as exc:
            fail(str(exc), 2)
        if remote is None:
            by = _who(by)
        if not title.strip() or not service.strip() or (by is not None and not by.strip()):
            fail("--service, --title and --by must not be empty", 2)
        Declaration(title=title, service=service, impact=impact, by=by or "-")  # the limits every entry has
        if remote is not None:
            from cli.remote_commands import declare_remotely

            print(declare_remotely(remote, service.strip(), level, title.strip(), by and by.strip(), impact))
            return
        from domain.incident.state import IncidentStart
        from service.authorization import local_operator
        from service.incidents import declare_as, new_incident_id

        now = datetime.now(UTC)
        start = IncidentStart(id=new_incident_id(service, now), title=title.strip(), service=service.strip(),
                              severity=level, impact=impact, declared_by=by.strip(), source="cli")

        async def body() -> str:
            return await declare_as(await connect(), local_operator(), start, claimed_by_is_actor=True)

        print(run(body))

    @app.command()
    def ack(incident: Id, by: By = None) -> None:
        """Acknowledge the page: stops acknowledgement escalation."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.Acknowledge(by=who))

    @app.command()
    def assign(
        incident: Id, *, by: By = None,
        role: Annotated[Role, typer.Option(help="ic | ops | comms | liaison | scribe")],
        to: Annotated[str, typer.Option("--to", help="Who takes the role")],
    ) -> None:
        """Give someone a role."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.AssignRole(role=role, to=to, by=who))

    @app.command()
    def severity(incident: Id, level: Annotated[str, typer.Argument(metavar="SEVERITY")], by: By = None) -> None:
        """Change the severity (re-plans escalation at once)."""
        from domain.incident import decisions as d
        from domain.incident.severity import Severity

        try:
            parsed = Severity.parse(level)
        except ValueError as exc:
            fail(str(exc), 2)
        decide(incident, by, lambda who: d.SetSeverity(severity=parsed, by=who))

    @app.command()
    def note(incident: Id, text: Annotated[str, typer.Argument()], by: By = None) -> None:
        """Add a note to the timeline."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.AddNote(text=text, by=who))

    @app.command()
    def check(incident: Id, item: Annotated[str, typer.Argument(help="Checklist item id")], by: By = None) -> None:
        """Tick a checklist item."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.CheckItem(item=item, by=who))

    @app.command()
    def mitigating(incident: Id, by: By = None) -> None:
        """Record that mitigation has started."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.StartMitigation(by=who))

    @app.command()
    def mitigated(incident: Id, by: By = None) -> None:
        """Record that the bleeding has stopped."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.MarkMitigated(by=who))

    @app.command()
    def resolve(incident: Id, by: By = None, summary: Annotated[str | None, typer.Option()] = None) -> None:
        """Resolve the incident: stops all escalation."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.Resolve(by=who, summary=summary))

    @app.command()
    def close(incident: Id, by: By = None) -> None:
        """Close a resolved incident."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.Close(by=who))

    @app.command()
    def escalate(incident: Id, by: By = None, reason: Annotated[str | None, typer.Option()] = None) -> None:
        """Page the next tier up now."""
        from domain.incident import decisions as d

        decide(incident, by, lambda who: d.EscalateNow(by=who, reason=reason))

    @app.command()
    def update(
        incident: Id, *, by: By = None,
        message: Annotated[str, typer.Option(help="What to tell people")],
        status: Annotated[str, typer.Option(help="investigating|identified|monitoring|resolved")] = "investigating",
    ) -> None:
        """Post a communications update (resets the 15-minute reminder)."""
        from pydantic import ValidationError

        from domain.incident import decisions as d

        try:  # the status is checked before anything is sent (the actor is not known yet in remote mode)
            d.PostUpdate(by="-", status=status, message=message)
        except ValidationError as exc:
            problem = next((e for e in exc.errors() if e["loc"] == ("status",)), None)
            if problem is not None:
                fail(f"--status: {problem['msg']}", 2)
        decide(incident, by, lambda who: d.PostUpdate(by=who, status=status, message=message))

    @app.command("list")
    def list_incidents(
        all_: Annotated[bool, typer.Option("--all", help="Include resolved and closed incidents")] = False,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Open incidents (or all of them)."""
        from cli.render import render_list

        remote = remote_target()
        if remote is not None:
            from cli.remote_commands import list_remotely

            listed = list_remotely(remote, open_only=not all_)
            if as_json:
                print_json(listed.answer)
                return
            failing, healthy = listed.failing, listed.healthy
        else:
            from service.failing import FailingIncident
            from service.incidents import fetch_incidents, summary

            async def body():
                return await fetch_incidents(await connect(), not all_)

            states = run(body)
            if as_json:
                print_json([summary(s) for s in states])
                return
            failing = [s for s in states if isinstance(s, FailingIncident)]
            healthy = [s for s in states if not isinstance(s, FailingIncident)]
        if failing:
            from cli.failing_render import render_failing_list

            render_failing_list(failing)
        if healthy or not failing:
            render_list(healthy)

    @app.command()
    def show(incident: Id, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Everything about one incident: roles, pages, checklist, timeline."""
        from cli.render import LOCAL, render_incident

        remote = remote_target()
        compliance = LOCAL
        if remote is not None:
            from cli.remote_commands import show_remotely

            shown = show_remotely(remote, incident)
            if as_json:
                print_json(shown.answer)
                return
            state, compliance = shown.entry, shown.compliance
        else:
            from service.incidents import read_incident, state_json

            async def body():
                return await read_incident(await connect(), incident)

            state = run(body)
            if as_json:
                print_json(state_json(state))
                return
        if hasattr(state, "failing"):  # a FailingIncident: its last known state, and since when it fails
            from cli.failing_render import render_failing_incident

            render_failing_incident(state, compliance)
        else:
            render_incident(state, compliance)
