"""The escalation clock as a pure function: given the policy, the incident and the time, what is due now
and when is the next thing due. The workflow runs the due actions and sleeps until `next_at`; any state
change wakes it and it asks again, so a severity change re-plans by itself."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.common.durations import minutes_text
from domain.incident import rule_steps
from domain.incident.severity import Tier
from domain.incident.state import IncidentState
from domain.policy.model import Policy

ActionKind = Literal["page", "repage", "escalation", "comms_reminder", "checklist_nag", "stakeholder_notice",
                     "public_notice", "notify_step"]
NOTICES = ("stakeholder_notice", "public_notice")  # told, not paged
ACK_TIMEOUT_RULE = "ack-timeout"
UNREACHABLE_RULE = "unreachable"  # nobody got the page through any step of the paged person's notification rules
IMMEDIATELY = "0m (immediately)"  # a zero response time or escalation delay, in a reason


class Action(BaseModel):
    key: str
    kind: ActionKind
    at: datetime
    tier: Tier | None = None
    person: str | None = Field(default=None, description="repage: page this person directly, not the tier's holder; "
                                                         "stakeholder_notice, public_notice: the person told")
    rule: str | None = None
    reason: str
    page: int | None = Field(default=None, description="notify_step: the page (index in the state's pages)")
    step: int | None = Field(default=None, description="notify_step: the step of the paged person's rules")


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
    actions += _stakeholder_notices(policy, state)
    actions += _public_notices(policy, state)
    actions += _repages(policy, state)
    actions += _rule_steps(policy, state)
    # while every alert is resolved the policy may hold escalations back; they resume when one fires again
    pause = policy.incident.alerts.pause_while_recovered if state.alerts_all_resolved() else "none"

    if (policy.oncall.escalation.acknowledge_escalates_to_next_tier and state.acknowledged_at is None
            and pause == "none"):
        # the deadline counts from the latest page to primary: a re-page after an alert fired again restarts it
        paged_at = max([detected, *state.refired_at])
        actions.append(Action(
            key=ACK_TIMEOUT_RULE, kind="escalation", at=paged_at + level.response_time,
            tier=Tier.PRIMARY.next_up(), rule=ACK_TIMEOUT_RULE,
            reason=f"not acknowledged within {minutes_text(level.response_time, under_a_minute=IMMEDIATELY)} "
                   f"({state.severity.value} response time)",
        ))

    if not state.phase.reached(policy.incident.escalation_stops_at) and pause != "all":
        for rule in policy.oncall.escalation.rules:
            if state.severity in rule.severities:
                actions.append(Action(
                    key=f"rule:{rule.id}", kind="escalation", at=detected + rule.after, tier=rule.tier,
                    rule=rule.id, reason=rule.note or f"{state.severity.value} unresolved after "
                                                      f"{minutes_text(rule.after, under_a_minute=IMMEDIATELY)}",
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
        reason=f"internal update due (every {minutes_text(interval, under_a_minute=IMMEDIATELY)})",
    ))

    if nagged_items(policy, state):
        actions.append(Action(
            key="checklist-nag", kind="checklist_nag", at=detected + policy.incident.checklist.nag_at,
            reason="first-15-minutes checklist has open items",
        ))
    return actions


def nagged_items(policy: Policy, state: IncidentState) -> list:
    """Open checklist items due by the nag (`within` ≤ nag_at): the situation items, due later, are not nagged."""
    nag_at = policy.incident.checklist.nag_at.total_seconds()
    return [item for item in state.checklist if not item.done and item.within_seconds <= nag_at]


def _stakeholder_notices(policy: Policy, state: IncidentState) -> list[Action]:
    """The severity's stakeholders are told at once — at detection, or when the severity is raised to one that
    names them (due on the next plan). A notice, not a page: the tiers still follow the escalation rules."""
    if not state.notifies_stakeholders:
        return []
    return [
        Action(key=f"notify:{person}", kind="stakeholder_notice", at=state.detected_at, person=person,
               reason=f"{state.severity.value}: the policy tells {policy.person_name(person)} at once")
        for person in policy.severity(state.severity).stakeholders
    ]


def told_people(policy: Policy, state: IncidentState) -> list[str]:
    """Everyone the policy tells of this incident as it is now: the severity's stakeholders, then (while it is
    public) the public-incident contacts; each once."""
    people = list(policy.severity(state.severity).stakeholders) if state.notifies_stakeholders else []
    if state.tells_public_contacts and policy.severity(state.severity).status_page:
        people += [p for p in policy.incident.communication.public_incident_contacts if p not in people]
    return people


def _public_notices(policy: Policy, state: IncidentState) -> list[Action]:
    """A public incident (its severity uses the status page) tells the policy's public-incident contacts at once,
    the customer-support lead above all (the Comms lead's duty, seed 000); someone already told as a stakeholder
    is not told twice."""
    if not (state.tells_public_contacts and policy.severity(state.severity).status_page):
        return []
    stakeholders = policy.severity(state.severity).stakeholders if state.notifies_stakeholders else []
    return [
        Action(key=f"notify:{person}", kind="public_notice", at=state.detected_at, person=person,
               reason=f"{state.severity.value} is public (status page): the policy tells "
                      f"{policy.person_name(person)} at once")
        for person in policy.incident.communication.public_incident_contacts if person not in stakeholders
    ]


def _repages(policy: Policy, state: IncidentState) -> list[Action]:
    """An alert fired again after the incident mitigated itself: page the person who acknowledged (if they are
    one of the policy's people), else whoever holds the tier paged last — at most every `repage_at_most_every`."""
    actions, last = [], None
    spacing = policy.incident.alerts.repage_at_most_every
    person = state.acknowledged_by if state.acknowledged_by in policy.oncall.people else None
    for index, fired_again_at in enumerate(state.refired_at):
        if last is not None and fired_again_at - last < spacing:
            continue
        last = fired_again_at
        actions.append(Action(
            key=f"repage:{index}", kind="repage", at=fired_again_at, person=person,
            tier=state.highest_paged_tier() or Tier.PRIMARY, reason="an alert fired again after the incident had "
                                                                   "mitigated itself",
        ))
    return actions


def _rule_steps(policy: Policy, state: IncidentState) -> list[Action]:
    """Each page to a person with notification rules: the further steps of their chain, while nobody has
    acknowledged; when no step reached them, their tier counts as a gap and the next tier is paged at once."""
    if not state.follows_notification_rules or state.acknowledged_at is not None:
        return []
    actions = []
    for index, page in enumerate(state.pages):
        if not page.steps:
            continue
        chain = policy.oncall.notification_chain(page.target)
        for number, at in rule_steps.step_times(page, chain):
            actions.append(Action(
                key=f"step:{index}:{number}", kind="notify_step", at=at, tier=page.tier, person=page.target,
                page=index, step=number, reason=f"step {number + 1} of {len(chain)} of {page.target}'s "
                                                f"notification rules",
            ))
        unreachable_at, above = rule_steps.unreachable_at(page, chain), page.tier.next_up()
        if unreachable_at is not None and above is not None:
            actions.append(Action(
                key=f"unreachable:{index}", kind="escalation", at=unreachable_at, tier=above, rule=UNREACHABLE_RULE,
                reason=f"{page.target} ({policy.person_name(page.target)}) could not be reached by "
                       f"{rule_steps.methods(chain)}",
            ))
    return actions


def plan(policy: Policy, state: IncidentState, now: datetime) -> Plan:
    pending = [a for a in candidate_actions(policy, state) if a.key not in state.fired]
    # pages before notices due at the same moment: the first page stays the first activity (docs/performance.md)
    due = sorted((a for a in pending if a.at <= now),
                 key=lambda a: (a.at, a.kind in NOTICES, a.tier.level if a.tier else -1))
    future = [a.at for a in pending if a.at > now]
    return Plan(due=due, next_at=min(future, default=None))
