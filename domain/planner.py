"""The escalation clock as a pure function: given the policy, the incident and the time, what is due now
and when is the next thing due. The workflow runs the due actions and sleeps until `next_at`; any state
change wakes it and it asks again, so a severity change re-plans by itself."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from domain.incident import IncidentState
from domain.policy import Policy
from domain.severity import Tier

ActionKind = Literal["page", "escalation", "comms_reminder", "checklist_nag"]
ACK_TIMEOUT_RULE = "ack-timeout"


class Action(BaseModel):
    key: str
    kind: ActionKind
    at: datetime
    tier: Tier | None = None
    rule: str | None = None
    reason: str


class Plan(BaseModel):
    due: list[Action]
    next_at: datetime | None


def candidate_actions(policy: Policy, state: IncidentState) -> list[Action]:
    """Every action the policy schedules for this incident as it is now, fired or not."""
    if not state.phase.is_open:
        return []
    detected = state.detected_at
    level = policy.severity(state.severity)
    actions = [Action(key="page:initial", kind="page", at=detected, tier=Tier.PRIMARY, reason="new incident")]

    if policy.oncall.escalation.acknowledge_escalates_to_next_tier and state.acknowledged_at is None:
        actions.append(Action(
            key=ACK_TIMEOUT_RULE, kind="escalation", at=detected + level.response_time,
            tier=Tier.PRIMARY.next_up(), rule=ACK_TIMEOUT_RULE,
            reason=f"not acknowledged within {_minutes(level.response_time)} ({state.severity.value} response time)",
        ))

    if not state.phase.reached(policy.incident.escalation_stops_at):
        for rule in policy.oncall.escalation.rules:
            if state.severity in rule.severities:
                actions.append(Action(
                    key=f"rule:{rule.id}", kind="escalation", at=detected + rule.after, tier=rule.tier,
                    rule=rule.id, reason=rule.note or f"{state.severity.value} unresolved after {_minutes(rule.after)}",
                ))

    for index, requested_at in enumerate(state.manual_escalations):
        above = (state.highest_paged_tier() or Tier.PRIMARY).next_up()
        if above is not None:
            actions.append(Action(
                key=f"manual:{index}", kind="escalation", at=requested_at, tier=above, rule="manual",
                reason="escalated by a responder",
            ))

    interval = policy.incident.communication.internal_update_every
    base = state.last_comms_update_at or detected
    step = 1
    while f"comms:{(base + step * interval).isoformat()}" in state.fired:
        step += 1
    reminder_at = base + step * interval
    actions.append(Action(
        key=f"comms:{reminder_at.isoformat()}", kind="comms_reminder", at=reminder_at,
        reason=f"internal update due (every {_minutes(interval)})",
    ))

    if any(not item.done for item in state.checklist):
        actions.append(Action(
            key="checklist-nag", kind="checklist_nag", at=detected + policy.incident.checklist.nag_at,
            reason="first-15-minutes checklist has open items",
        ))
    return actions


def plan(policy: Policy, state: IncidentState, now: datetime) -> Plan:
    pending = [a for a in candidate_actions(policy, state) if a.key not in state.fired]
    due = sorted((a for a in pending if a.at <= now), key=lambda a: (a.at, a.tier.level if a.tier else -1))
    future = [a.at for a in pending if a.at > now]
    return Plan(due=due, next_at=min(future, default=None))


def _minutes(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return "0m (immediately)"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"
