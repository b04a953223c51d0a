"""Drill clocks: a live drill at `speed` N runs the incident's policy clocks N times faster, and a drill's roster
replaces the policy's tier members (docs/drills.md, "Live mode")."""

from datetime import timedelta

from domain.incident.state import IncidentStart
from domain.policy.model import Policy


def compress_policy(policy: Policy, speed: float) -> Policy:
    """The policy with every incident clock divided by `speed` (live drills in compressed time): acknowledge
    deadlines, escalation rules, comms interval, checklist deadlines and targets. The on-call rotation is
    left alone: who holds a tier is still read from the wall clock."""
    if speed == 1:
        return policy

    def scale(value: timedelta) -> timedelta:
        return value / speed

    incident = policy.incident
    severities = {
        key: level.model_copy(update={
            "response_time": scale(level.response_time),
            "targets": level.targets.model_copy(update={
                "mttd": scale(level.targets.mttd) if level.targets.mttd is not None else None,
                "mttr": scale(level.targets.mttr) if level.targets.mttr is not None else None,
            }),
        })
        for key, level in incident.severities.items()
    }
    communication = incident.communication.model_copy(
        update={"internal_update_every": scale(incident.communication.internal_update_every)})
    checklist = incident.checklist.model_copy(update={
        "nag_at": scale(incident.checklist.nag_at),
        "items": [i.model_copy(update={"within": scale(i.within)}) for i in incident.checklist.items],
    })
    rules = [r.model_copy(update={"after": scale(r.after)}) for r in policy.oncall.escalation.rules]
    escalation = policy.oncall.escalation.model_copy(update={"rules": rules})
    return policy.model_copy(update={
        "incident": incident.model_copy(
            update={"severities": severities, "communication": communication, "checklist": checklist}),
        "oncall": policy.oncall.model_copy(update={"escalation": escalation}),
    })


def policy_for_incident(policy: Policy, start: IncidentStart) -> Policy:
    """Apply a drill's roster override and clock compression to the loaded policy snapshot."""
    if not start.drill:
        return policy
    if start.roster:
        policy = policy.with_roster(start.roster)
    return compress_policy(policy, start.drill_speed)
