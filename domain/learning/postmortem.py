"""Postmortem rules: who owns it, when it is due, when reminders go out, and the draft itself
(Markdown from the team's Jinja2 template, filled with everything the incident record knows)."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from domain.common.durations import format_duration
from domain.common.markdown import markdown_values
from domain.incident.records import ActionItem
from domain.incident.severity import Tier
from domain.incident.state import IncidentState
from domain.learning.compliance import Compliance
from domain.learning.metrics import Recurrence
from domain.policy.model import Policy


class Reminder(BaseModel):
    key: str
    at: datetime
    kind: str  # "reminder" | "missed"
    text: str


def owner(state: IncidentState) -> str:
    """The IC writes the postmortem (seed 000: IC leads the review); without one, whoever acknowledged."""
    return state.roles.ic or state.acknowledged_by or state.declared_by


def deadline(policy: Policy, state: IncidentState) -> datetime:
    return state.resolved_at + policy.incident.learning.postmortem.deadline


def schedule(policy: Policy, state: IncidentState) -> list[Reminder]:
    """Reminders before the deadline (24 h and 2 h by default), then the missed-deadline notice."""
    due = deadline(policy, state)
    rules = policy.incident.learning.postmortem
    out = [
        Reminder(key=f"remind:{format_duration(before)}", at=due - before, kind="reminder",
                 text=f"⏰ Postmortem for {state.id} ({state.title}) is due in {format_duration(before)}")
        for before in rules.remind_before if due - before > state.resolved_at
    ]
    out.append(Reminder(key="missed", at=due, kind="missed",
                        text=f"❗ Postmortem for {state.id} ({state.title}) missed its "
                             f"{format_duration(rules.deadline)} deadline; owner @{owner(state)}"))
    return sorted(out, key=lambda r: r.at)


def missed_notice_tier(policy: Policy) -> Tier:
    return policy.incident.learning.postmortem.missed_notify_tier


ROOT_CAUSE_LINE = re.compile(r"^\|\s*Root-cause category\s*\|\s*(?P<value>[^|]*?)\s*\|\s*$", re.MULTILINE)
PLACEHOLDER = re.compile(r"^\(fill in")


def root_cause_from(markdown: str) -> str | None:
    """The one-word category written in the draft's header table, if it was filled in."""
    match = ROOT_CAUSE_LINE.search(markdown)
    if not match:
        return None
    value = match.group("value").strip().strip("`*").strip()
    if not value or PLACEHOLDER.match(value):
        return None
    word = re.match(r"[\w-]+", value)
    return word.group(0).lower()[:80] if word else None


def action_due_at(due: date, zone: str) -> datetime:
    """An action item's reminder fires at 09:00 in the team's time zone on its due date."""
    return datetime.combine(due, time(9, 0), tzinfo=ZoneInfo(zone))


def _local(policy: Policy, at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(policy.incident.timezone)).strftime("%Y-%m-%d %H:%M")


def _span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "-"
    return format_duration(max(end - start, timedelta(0)))


def draft_context(policy: Policy, state: IncidentState, due: datetime, compliance: Compliance,
                  recurrence: Recurrence | None = None, action_items: list[ActionItem] | None = None,
                  root_cause_category: str | None = None) -> dict:
    """What the template sees. Every string is escaped for Markdown (`domain/common/markdown.py`): titles, labels and
    notes come from alerts and people, and must show as text, not links, HTML or broken tables."""
    level = policy.severity(state.severity)
    return markdown_values({
        "incident": state.model_dump(mode="json"),
        "severity_name": level.name,
        "impact": state.impact or level.impact,
        "status_page": level.status_page,
        "deadline": f"{_local(policy, due)} ({policy.incident.timezone})",
        "owner": owner(state),
        "root_cause_category": root_cause_category,
        "recurrence_of": recurrence.of if recurrence else None,
        "recurrence_reason": recurrence.reason if recurrence else None,
        "timezone": policy.incident.timezone,
        "started_at": _local(policy, state.started_at),
        "detected_at": _local(policy, state.detected_at),
        "duration": _span(state.detected_at, state.resolved_at),
        "mttd": _span(state.started_at, state.detected_at),
        "mtta": _span(state.detected_at, state.acknowledged_at),
        "mttr": _span(state.detected_at, state.resolved_at),
        "alertnames": sorted({a.labels["alertname"] for a in state.alerts.values() if "alertname" in a.labels}),
        "roles": [(policy.incident.roles[r].name, getattr(state.roles, r.value)) for r in policy.incident.roles],
        "pages": [{"at": _local(policy, p.at), "tier": p.tier.value, "target": p.target, "reason": p.reason}
                  for p in state.pages],
        "escalations": [{"at": _local(policy, e.at), "rule": e.rule, "tier": e.tier.value, "paged": e.paged}
                        for e in state.escalations],
        "timeline": [{"at": _local(policy, t.at), "kind": t.kind, "actor": t.actor, "text": t.text}
                     for t in state.timeline],
        "compliance": {"percent": compliance.percent, "steps": [s.model_dump() for s in compliance.steps]},
        "action_items": [a.model_dump(mode="json") for a in action_items or []],
    })


def render_draft(template: str, context: dict) -> str:
    """Render the team's template. A sandboxed environment: the template is data from the policy repo.
    Unknown names fail loudly (StrictUndefined) so a template typo is caught by the draft activity."""
    environment = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return environment.from_string(template).render(**context)
