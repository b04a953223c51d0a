"""Scoring a drill: the incident's final state measured from the drill's start, in scenario time, read from its
structured records (pages, escalations, phase changes, checklist, runbook runs; docs/drills.md, "Instant mode"),
with the people who took part and their evaluation ("Participants and evaluation")."""

from datetime import datetime, timedelta
from typing import Literal

from domain.drills.evaluation import with_evaluations
from domain.drills.expectations import evaluate
from domain.drills.participants import participants, scripted_names
from domain.drills.scenario import Scenario
from domain.drills.scorecard import (
    Scorecard,
    ScoredChecklistItem,
    ScoredEscalation,
    ScoredNotification,
    ScoredPage,
    ScoredPhase,
    ScoredRunbook,
    ScoredTimelineEntry,
    Targets,
)
from domain.incident.phase_changes import phase_changes
from domain.incident.phases import Phase
from domain.incident.state import IncidentState
from domain.policy.model import Policy


def scorecard(scenario: Scenario, state: IncidentState, started: datetime, policy: Policy, speed: float = 1,
              mode: Literal["instant", "live"] = "instant", tolerance: timedelta | None = None,
              autoplay: bool = True) -> Scorecard:
    """The drill's result: everything measured from `started` (the drill's start) in scenario time.
    `policy` is the uncompressed policy (for targets); the state's own clocks are real, so × speed.
    `autoplay`: the scenario's decisions were played, so the names it gives are the script, not participants."""

    def offset(at: datetime | None) -> float | None:
        return None if at is None else round((at - started).total_seconds() * speed, 3)

    def since_detection(at: datetime | None) -> float | None:
        return None if at is None else round((at - state.detected_at).total_seconds() * speed, 3)

    phases = [ScoredPhase(phase=Phase.DETECTED, at_seconds=offset(state.detected_at))]
    phases += [ScoredPhase(phase=change.phase, at_seconds=offset(change.at)) for change in phase_changes(state)]
    checklist = []
    for entry in state.checklist:
        due = entry.within_seconds * speed
        done_at = since_detection(entry.at) if entry.done else None
        checklist.append(ScoredChecklistItem(
            item=entry.item, text=entry.text, done_at_seconds=offset(entry.at) if entry.done else None,
            due_seconds=due, by=entry.by, late=done_at is None or done_at > due,
        ))
    level = policy.severity(state.severity)
    ack = level.response_time.total_seconds()
    # "Immediately" (0m) cannot be met to the second: it is scored against the policy's drills setting
    scored_against = ack if ack > 0 else policy.incident.drills.immediate_ack_within.total_seconds()
    mtta = since_detection(state.acknowledged_at)
    targets = Targets(ack_seconds=ack, mttr_seconds=level.targets.mttr.total_seconds() if level.targets.mttr else None,
                      ack_scored_against_seconds=scored_against, ack_met=mtta is not None and mtta <= scored_against)
    card = Scorecard(
        name=scenario.name, description=scenario.description, passed=True, incident_id=state.id,
        mode=mode, speed=speed, severity=state.severity, final_phase=state.phase,
        duration_seconds=scenario.length.total_seconds(),
        pages=sorted(
            (ScoredPage(tier=p.tier, target=p.target, at_seconds=offset(p.at), reason=p.reason) for p in state.pages),
            key=lambda p: (p.at_seconds, p.tier.level)),
        notifications=[ScoredNotification(to=n.to, why=n.why, at_seconds=offset(n.at)) for n in state.notifications],
        escalations=[ScoredEscalation(rule=e.rule, tier=e.tier, paged=e.paged, at_seconds=offset(e.at))
                     for e in state.escalations],
        phases=phases,
        mtta_seconds=mtta,
        mttm_seconds=since_detection(state.mitigated_at),
        mttr_seconds=since_detection(state.resolved_at),
        targets=targets,
        checklist=checklist,
        timeline=[ScoredTimelineEntry(at_seconds=offset(t.at), kind=t.kind, actor=t.actor, text=t.text)
                  for t in state.timeline],
        expectations=[],
        rejected=[t.text for t in state.timeline if t.kind == "rejected"],
        runbooks=[ScoredRunbook(runbook=r.runbook, status=r.status, started_by=r.started_by, at_seconds=offset(r.at),
                                detail=r.detail) for r in state.runbooks],
        simulated_steps=scenario.simulate.steps,
        participants=participants(state, checklist, offset, scripted_names(scenario) if autoplay else set()),
    )
    if scenario.expect is not None:
        card.expectations = evaluate(scenario.expect, card, tolerance)
    card.passed = all(e.passed for e in card.expectations)
    return with_evaluations(card)
