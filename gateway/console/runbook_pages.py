"""The console's Runbooks page (`/runbooks`, docs/console.md "Runbooks"): the catalog of the gateway's runbook
directory (each runbook's description, what it matches, its steps with their approvals, rollbacks and checks, and
the files that are not valid runbooks), and recent runs. No store keeps runbook runs apart from the incidents:
each incident's state holds its own, so the runs are read from the incidents Temporal still lists."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.runbooks.schema import Match
from gateway.console import reading
from gateway.console.pages import problem_page
from gateway.console.rendering import base
from gateway.console.session import UserDep
from gateway.console.templating import render
from gateway.context import gateway_of
from service.errors import Forbidden
from service.runbooks import runbook_catalog

router = APIRouter(include_in_schema=False)
RECENT_RUNS = 30


def matches(match: Match) -> list[str]:
    """What a runbook matches, as sentences; an empty match offers it to every incident."""
    found = [f"label {name} {'matches ' + value[1:] if value.startswith('~') else '= ' + value}"
             for name, value in match.labels.items()]
    if match.services:
        found.append("service is " + " or ".join(match.services))
    if match.severities:
        found.append("severity is " + " or ".join(s.value for s in match.severities))
    return found or ["every incident (no match given)"]


@router.get("/runbooks")
async def runbooks(request: Request, user: UserDep) -> Response:
    gateway = gateway_of(request)
    try:
        await reading.may_read(gateway, user.principal)
    except Forbidden as exc:
        return problem_page(request, user, "Not allowed", exc.reason, 403)
    catalog = await asyncio.to_thread(runbook_catalog, gateway.settings.runbook_dir)
    runs, runs_problem = [], None
    try:
        states = await reading.incidents(gateway, open_only=False, shared=True)
    except reading.Unreadable as exc:
        runs_problem = f"Recent runs unavailable: {exc.why}"
    else:
        runs = sorted(((state, run) for state in states for run in state.runbooks if run.status != "offered"),
                      key=lambda pair: pair[1].at, reverse=True)[:RECENT_RUNS]
    return render(request, "runbooks.html", {
        **base(request, user), "catalog": catalog, "matches": matches, "runs": runs, "runs_problem": runs_problem,
        "directory": str(gateway.settings.runbook_dir), "recent": RECENT_RUNS})
