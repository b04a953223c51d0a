"""The console's pages put together: the context every page shares (who is logged in, their CSRF token), the
incident page with its errors and notices, the list's rows, and the version a live page compares against."""

import asyncio
import hashlib
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse

from adapters.runbook_files import runbook_snapshot
from adapters.stores.overrides import OverrideStore
from domain.incident.phases import Phase
from domain.incident.state import IncidentState
from domain.policy.model import Policy
from gateway.console import incident_view, listing
from gateway.console.session import ConsoleUser
from gateway.console.templating import render, render_text
from gateway.context import gateway_of

INCIDENT_REGIONS = {"incident-header": "parts/header.html", "incident-actions": "parts/actions.html",
                    "incident-checklist": "parts/checklist.html", "incident-runbooks": "parts/runbooks.html",
                    "incident-alerts": "parts/alerts.html", "incident-pages": "parts/pages.html",
                    "incident-timeline": "parts/timeline.html"}


def version_of(states: list[IncidentState]) -> str:
    digest = hashlib.sha256()
    for state in states:
        digest.update(state.model_dump_json(exclude={"fired"}).encode())
    return digest.hexdigest()[:20]


def policy_of(request: Request) -> Policy:
    policy = gateway_of(request).policy()
    if policy is None:
        raise RuntimeError("the policy is not loadable: fix the policy files (incident policy check)")
    return policy


def base(request: Request, user: ConsoleUser) -> dict:
    policy = gateway_of(request).policy()
    person = user.principal.name
    return {"me": person, "me_name": policy.person_name(person) if policy else person,
            "my_role": user.principal.role.value, "csrf": user.csrf}


def _extras(request: Request) -> tuple[list, object]:
    settings = gateway_of(request).settings
    try:
        overrides = OverrideStore(settings.data_dir, url=gateway_of(request).ledger_url).load()
    except Exception:  # the page still shows who the rotation names
        overrides = []
    try:
        catalog = runbook_snapshot(settings.runbook_dir)
    except Exception:
        catalog = None
    return overrides, catalog


async def incident_context(request: Request, user: ConsoleUser, state: IncidentState,
                           start_from: str = "internal") -> dict:
    overrides, catalog = await asyncio.to_thread(_extras, request)
    return {**base(request, user), "version": version_of([state]),
            **incident_view.context(policy_of(request), state, user.principal, datetime.now(UTC), overrides, catalog,
                                    start_from)}


async def incident_page(request: Request, user: ConsoleUser, state: IncidentState, *, errors: dict | None = None,
                        values: dict | None = None, notice: dict | None = None, status: int = 200,
                        start_from: str = "internal") -> HTMLResponse:
    context = await incident_context(request, user, state, start_from)
    context.update(errors=errors or {}, values=values or {}, notice=notice)
    return render(request, "incident.html", context, status)


async def incident_regions(request: Request, user: ConsoleUser, state: IncidentState) -> dict[str, str]:
    context = {**await incident_context(request, user, state), "errors": {}, "values": {}, "notice": None}
    return {region: render_text(request, template, context) for region, template in INCIDENT_REGIONS.items()}


def list_context(request: Request, user: ConsoleUser, states: list[IncidentState], filters: listing.Filters) -> dict:
    policy = policy_of(request)
    shown = listing.rows(policy, states, filters, datetime.now(UTC))
    return {**base(request, user), "rows": shown, "filters": filters, "version": version_of(states),
            "severities": [(s.value, policy.severity(s).name) for s in policy.incident.severities],
            "phases": [p.value for p in Phase],
            "services": sorted({s.service for s in states}), "people": sorted(policy.oncall.people)}
