"""Procedure-compliance score per incident: the share of the seed's procedure steps done on time.

Steps: every checklist item (IC named, first-15-minutes items, team assembly) done within its window;
the internal-update cadence kept (no comms reminder had to fire); the postmortem published within its
deadline, when the severity requires one. Steps still in progress count neither way."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from domain.common.durations import minutes_text
from domain.incident.records import PostmortemRecord
from domain.incident.state import IncidentState
from domain.policy.model import Policy


class Step(BaseModel):
    item: str = Field(description="Checklist item id, 'comms' or 'postmortem'")
    name: str
    ok: bool | None
    detail: str = ""


class Compliance(BaseModel):
    steps: list[Step]
    score: float | None

    @property
    def percent(self) -> str:
        return "-" if self.score is None else f"{self.score:.0%}"


def postmortem_required(policy: Policy, state: IncidentState) -> bool:
    """Drills practise the response, not the paperwork: they never owe a postmortem."""
    return policy.severity(state.severity).postmortem_required and not state.drill


def compliance(policy: Policy, state: IncidentState, postmortem: PostmortemRecord | None,
               now: datetime) -> Compliance:
    steps: list[Step] = []
    closed_for_checks = not state.phase.is_open
    for entry in state.checklist:
        deadline = state.detected_at + timedelta(seconds=entry.within_seconds)
        if entry.done and entry.at is not None:
            late = entry.at - deadline
            ok = entry.at <= deadline
            detail = "" if ok else f"{minutes_text(late)} late"
            steps.append(Step(item=entry.item, name=entry.text, ok=ok, detail=detail))
        elif now > deadline or closed_for_checks:
            steps.append(Step(item=entry.item, name=entry.text, ok=False, detail="not done"))
        else:
            steps.append(Step(item=entry.item, name=entry.text, ok=None, detail="open"))

    missed_updates = sum(1 for t in state.timeline if t.kind == "comms_reminder")
    interval = minutes_text(policy.incident.communication.internal_update_every)
    if missed_updates:
        steps.append(Step(item="comms", name=f"internal update every {interval}", ok=False,
                          detail=f"{missed_updates} reminder(s) had to fire"))
    else:
        steps.append(Step(item="comms", name=f"internal update every {interval}",
                          ok=True if closed_for_checks else None))

    if postmortem_required(policy, state):
        deadline_text = minutes_text(policy.incident.learning.postmortem.deadline)
        name = f"postmortem within {deadline_text}"
        if postmortem is None:
            steps.append(Step(item="postmortem", name=name, ok=None, detail="not drafted yet"))
        else:
            ok = postmortem.on_time(now)
            detail = {True: f"published by {postmortem.published_by}", None: "draft, deadline not reached"}.get(
                ok, "published late" if postmortem.published_at else "deadline missed")
            steps.append(Step(item="postmortem", name=name, ok=ok, detail=detail))

    decided = [s.ok for s in steps if s.ok is not None]
    score = sum(decided) / len(decided) if decided else None
    return Compliance(steps=steps, score=score)
