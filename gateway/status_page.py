"""The public status page: `GET /status` (HTML, mobile-friendly, no login) and `GET /status.json`.
Components come from the policy's `status_components`; incidents from the store the worker's status
channel writes (only severities the policy marks public)."""

import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from adapters.channels.external import status_store
from adapters.policy_files import policy_snapshot
from domain.comms.view import IncidentView
from domain.incident.status import worst_component_status
from gateway.context import Gateway, gateway_of

router = APIRouter(tags=["status page"])

LABELS = {
    "operational": "Operational", "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage", "major_outage": "Major outage",
    "investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
    "resolved": "Resolved",
}
COLORS = {"operational": "#1f9d55", "degraded_performance": "#d69e2e", "partial_outage": "#dd6b20",
          "major_outage": "#c53030"}
OVERALL = {"operational": "All systems operational", "degraded_performance": "Degraded performance",
           "partial_outage": "Partial outage", "major_outage": "Major outage"}


def status_document(gateway: Gateway, now: datetime | None = None) -> dict:
    settings = gateway.settings
    now = now or datetime.now(UTC)
    policy = policy_snapshot(settings.policy_dir)
    views = status_store(settings).recent(now)
    open_views = [v for v in views if v.public_status != "resolved"]
    components = [
        {"name": name,
         "status": worst_component_status([v.component_status for v in open_views if v.component == name])}
        for name in policy.incident.status_components
    ]
    overall = worst_component_status([c["status"] for c in components] + [v.component_status for v in open_views])
    return {
        "page": {"title": settings.status_page_title, "updated_at": now.isoformat(),
                 "timezone": policy.incident.timezone},
        "status": {"indicator": overall, "description": OVERALL[overall]},
        "components": components,
        "incidents": [_incident(v) for v in views],
    }


def _incident(view: IncidentView) -> dict:
    return {
        "id": view.incident_id, "title": view.title, "service": view.service, "component": view.component,
        "severity": view.severity.value, "status": view.public_status, "impact": view.component_status,
        "started_at": view.started_at.isoformat(),
        "resolved_at": view.resolved_at.isoformat() if view.resolved_at else None,
        "next_update_by": view.next_update_by.isoformat() if view.next_update_by else None,
        "updates": [{"status": u.status, "message": u.message, "at": u.at.isoformat()} for u in reversed(view.updates)],
    }


@router.get("/status.json", summary="Status page data (components, incidents, updates)")
async def status_json(gateway: Gateway = Depends(gateway_of)) -> dict:
    return status_document(gateway)


@router.get("/status", response_class=HTMLResponse, summary="The public status page")
async def status_html(gateway: Gateway = Depends(gateway_of)) -> HTMLResponse:
    return HTMLResponse(render_html(status_document(gateway)))


def render_html(doc: dict) -> str:
    zone = ZoneInfo(doc["page"]["timezone"])
    e = html.escape

    def when(value: str | None) -> str:
        return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if value else "-"

    def badge(status: str) -> str:
        color = COLORS.get(status, "#4a5568")
        return (f'<span class="badge" style="color:{color}"><span class="dot" style="background:{color}">'
                f'</span>{e(LABELS.get(status, status))}</span>')

    components = "".join(
        f'<li class="component"><span class="name">{e(c["name"])}</span>{badge(c["status"])}</li>'
        for c in doc["components"]
    )
    active = [i for i in doc["incidents"] if i["status"] != "resolved"]
    past = [i for i in doc["incidents"] if i["status"] == "resolved"]

    def incident(i: dict) -> str:
        updates = "".join(
            f'<li><strong>{e(LABELS[u["status"]])}</strong> — {e(u["message"])}'
            f'<div class="time">{e(when(u["at"]))}</div></li>'
            for u in i["updates"]
        )
        next_update = (f'<p class="next">Next update by {e(when(i["next_update_by"]))}</p>'
                       if i["next_update_by"] else "")
        return (f'<article class="incident"><h3>{e(i["title"])}</h3>'
                f'<p>{badge(i["impact"])} <span class="status">{e(LABELS[i["status"]])}</span>'
                f' · {e(i["component"] or i["service"])}</p>{next_update}<ol class="updates">{updates}</ol></article>')

    overall = doc["status"]
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>{e(doc["page"]["title"])}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK KR", "Noto Sans KR", sans-serif;
       margin: 0 auto; max-width: 760px; padding: 16px; color: #1a202c; background: #f7fafc; }}
.overall {{ color: #fff; padding: 16px; border-radius: 8px; font-size: 1.25rem; font-weight: 600;
           background: {COLORS[overall["indicator"]]}; }}
ul.components {{ list-style: none; padding: 0; background: #fff; border-radius: 8px; }}
.component {{ display: flex; justify-content: space-between; padding: 12px 16px; border-bottom: 1px solid #e2e8f0; }}
.badge {{ font-weight: 600; white-space: nowrap; }}
.dot {{ display: inline-block; width: .65em; height: .65em; border-radius: 50%; margin-right: 6px; }}
.incident {{ background: #fff; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }}
.incident h3 {{ margin: 0 0 6px; }}
.updates li {{ margin: 6px 0; }} .time, .next {{ color: #4a5568; font-size: .85rem; }}
</style></head><body>
<h1>{e(doc["page"]["title"])}</h1>
<div class="overall">{e(overall["description"])}</div>
<h2>Active incidents</h2>
{"".join(incident(i) for i in active) or "<p>No active incidents.</p>"}
<h2>Components</h2>
<ul class="components">{components}</ul>
<h2>Past incidents (7 days)</h2>
{"".join(incident(i) for i in past) or "<p>No incidents in the last 7 days.</p>"}
<p class="time">Updated {e(when(doc["page"]["updated_at"]))}</p>
</body></html>"""
