"""The console's Drills page (`/drills`, docs/console.md "Drills"): the scenarios of the drills directory with
*Run instant drill* and *Start live drill*, and a drill run's page with its scorecard once it is in.

The gateway does not start a private time-skipping server as `incident drill run` does: that needs the test
server binary and a whole in-process worker (every workflow and activity) inside the gateway. Both buttons start
a DrillWorkflow on the stack's worker instead (service.drills.start_drill). An instant drill plays the scenario's
scripted decisions compressed to about INSTANT_SECONDS of real time; a live drill runs at the speed asked and
people make the decisions on its incident page."""

import asyncio
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from adapters import yaml_files
from domain.drills import evaluation
from domain.drills.playback import DrillRequest
from domain.drills.scenario import Scenario, problems_with_policy
from domain.drills.scorecard import Scorecard
from domain.identity.principal import refusal
from gateway.console.forms import checked_form
from gateway.console.pages import csrf_refused, problem_page
from gateway.console.rendering import base, policy_of
from gateway.console.session import ConsoleUser, UserDep
from gateway.console.templating import render
from gateway.context import gateway_of
from gateway.temporal import TemporalUnavailable, unavailable_as
from service.authorization import authorize
from service.drills import start_drill
from service.errors import Forbidden
from settings import PROJECT_DIR
from workflows.drill import DRILL_ID_PREFIX, DrillWorkflow

router = APIRouter(include_in_schema=False)
INSTANT_SECONDS = 20.0  # an instant drill from the console: the whole scenario in about this much real time
MAX_SPEED = 1000.0
LIVE_ACTION, INSTANT_ACTION = "training", "declare"  # a live drill is training; an instant one opens a drill incident


def drills_dir() -> Path:
    return PROJECT_DIR / "drills"


def scenarios(request: Request) -> tuple[list[Scenario], list[str]]:
    """The valid scenarios of the drills directory (by name), and a line per file that is not one."""
    policy, found, problems = policy_of(request), [], []
    if not drills_dir().is_dir():
        return [], [f"no drills directory at {drills_dir()}"]
    for path in sorted(p for p in drills_dir().iterdir() if p.suffix in (".yaml", ".yml")):
        try:
            scenario = Scenario.model_validate(yaml_files.read(path))
        except (yaml_files.UnreadableFile, ValidationError, TypeError) as exc:
            problems.append(f"{path.name}: {str(exc).splitlines()[0]}")
            continue
        if scenario.policy is None and (wrong := problems_with_policy(scenario, policy)):
            problems.append(f"{path.name}: " + "; ".join(f"{where}: {why}" for where, why in wrong))
            continue
        found.append(scenario)
    return found, problems


def severity_of(scenario: Scenario) -> str:
    if scenario.start.declare is not None:
        return scenario.start.declare.severity.value
    if scenario.expect is not None and scenario.expect.final_severity is not None:
        return f"{scenario.expect.final_severity.value} (from the alert)"
    return "from the alert's labels"


async def _page(request: Request, user: ConsoleUser, errors: dict | None = None, values: dict | None = None,
                status: int = 200) -> Response:
    found, problems = await asyncio.to_thread(scenarios, request)
    return render(request, "drills.html", {
        **base(request, user), "scenarios": [(s, severity_of(s), evaluation.span(s.length.total_seconds()))
                                             for s in found],
        "problems": problems, "errors": errors or {}, "values": values or {},
        "live_refused": refusal(user.principal, LIVE_ACTION),
        "instant_refused": refusal(user.principal, INSTANT_ACTION),
        "instant_seconds": int(INSTANT_SECONDS), "max_speed": int(MAX_SPEED)}, status)


@router.get("/drills")
async def drills(request: Request, user: UserDep) -> Response:
    try:
        await asyncio.to_thread(authorize, user.principal, "read", ledger=gateway_of(request).ledger)
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    return await _page(request, user)


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number: e.g. 1 (real time) or 60 (an hour in a minute)") from None
    if not 0 < speed <= MAX_SPEED:
        raise ValueError(f"the speed must be greater than 0 and at most {MAX_SPEED:g} (it was {speed:g})")
    return speed


@router.post("/drills/{name}/run")
async def run(request: Request, name: str, user: UserDep) -> Response:
    form = await checked_form(request, user)
    if form is None:
        return csrf_refused(request, user)
    live = form.get("mode") == "live"
    key = f"{'live' if live else 'instant'}-{name}"
    values = {f"{key}.speed": form.get("speed", "")}
    scenario = next((s for s in (await asyncio.to_thread(scenarios, request))[0] if s.name == name), None)
    if scenario is None:
        return await _page(request, user, {key: f"no drill scenario named {name!r}"}, values, 404)
    try:
        speed = _speed(form.get("speed", "1").strip() or "1") if live else max(
            1.0, scenario.length.total_seconds() / INSTANT_SECONDS)
    except ValueError as exc:
        return await _page(request, user, {f"{key}.speed": str(exc)}, values, 422)
    gateway = gateway_of(request)
    incident = f"drill-{name[:40]}-{secrets.token_hex(3)}"
    try:
        await asyncio.to_thread(authorize, user.principal, LIVE_ACTION if live else INSTANT_ACTION,
                                ledger=gateway.ledger, audit_allowed=True)
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            await start_drill(client, gateway.settings.task_queue, DrillRequest(
                scenario=scenario, incident_id=incident, speed=speed, live=True, autoplay_decisions=not live))
    except Forbidden as exc:
        return await _page(request, user, {key: f"Not allowed: {exc.reason}"}, values, 403)
    except (TemporalUnavailable, RPCError) as exc:
        return await _page(request, user, {key: f"Not started: {exc}"}, values, 503)
    return RedirectResponse(f"/incidents/{incident}" if live else f"/drills/runs/{incident}", status_code=303)


@router.get("/drills/runs/{incident}")
async def drill_run(request: Request, incident: str, user: UserDep) -> Response:
    """A drill's scorecard once it is in; until then the page says it is running and reloads itself."""
    gateway = gateway_of(request)
    try:
        await asyncio.to_thread(authorize, user.principal, "read", ledger=gateway.ledger)
        client = await gateway.temporal.client()
        with unavailable_as(gateway.temporal):
            handle = client.get_workflow_handle_for(DrillWorkflow.run, DRILL_ID_PREFIX + incident)
            status = (await handle.describe()).status
            card = await handle.result() if status == WorkflowExecutionStatus.COMPLETED else None
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    except RPCError:
        return problem_page(request, user, f"Drill {incident}", "no such drill run", 404)
    except TemporalUnavailable as exc:
        return problem_page(request, user, f"Drill {incident}", str(exc), 503)
    running = status == WorkflowExecutionStatus.RUNNING
    if card is None and not running:
        return problem_page(request, user, f"Drill {incident}", f"the drill ended without a scorecard ({status.name})",
                            409)
    return render(request, "drill_run.html", {**base(request, user), "incident": incident, "card": card,
                                              "running": running, **_scorecard_view(card)})


def _scorecard_view(card: Scorecard | None) -> dict:
    if card is None:
        return {}
    limit, targets = card.targets.ack_limit_seconds, card.targets
    return {"at": evaluation.clock, "span": evaluation.span, "ack_target": evaluation.ack_target(targets),
            "ack_verdict": evaluation.against(card.mtta_seconds, limit),
            "mttr_verdict": evaluation.against(card.mttr_seconds, targets.mttr_seconds)}
