"""Rendering the policy's message templates (seed 000 declaration, seed 004 internal/external updates)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.common.durations import format_duration
from domain.incident.state import IncidentState
from domain.policy.model import Policy


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def local_time(policy: Policy, at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(policy.incident.timezone)).strftime("%Y-%m-%d %H:%M %Z")


def fields(policy: Policy, state: IncidentState, **extra: str) -> dict[str, str]:
    level = policy.severity(state.severity)
    values = {
        "id": state.id,
        "service": state.service,
        "severity": state.severity.value.capitalize(),
        "severity_name": level.name,
        "title": state.title,
        "impact": state.impact or level.impact,
        "declared_by": state.declared_by,
        "started_at": local_time(policy, state.started_at),
        "ic": state.roles.ic or "(unassigned)",
        "phase": state.phase.value,
        "next_update": format_duration(policy.incident.communication.internal_update_every),
        "status": state.phase.value,
        "message": state.summary or state.title,
    }
    values.update(extra)
    return values


def render(template: str, policy: Policy, state: IncidentState, **extra: str) -> str:
    # format_map over a dict that leaves unknown placeholders as they are: a typo in a template
    # shows up in the message instead of failing the workflow.
    return template.format_map(_Blank(fields(policy, state, **extra)))


def declaration(policy: Policy, state: IncidentState) -> str:
    return render(policy.incident.communication.templates.declaration, policy, state)


def internal_update(policy: Policy, state: IncidentState) -> str:
    return render(policy.incident.communication.templates.internal_update, policy, state)


def external_update(policy: Policy, state: IncidentState, message: str, status: str,
                    next_update_by: datetime | None) -> str:
    """A status-page update (the policy's `external_update`): the update's message and public status, and when the
    next one is due (none once resolved)."""
    return render(policy.incident.communication.templates.external_update, policy, state, message=message,
                  status=status, next_update=local_time(policy, next_update_by) if next_update_by else
                  "no further updates")
