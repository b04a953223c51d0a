"""Moving an incident to another phase, and reading back when it did: every change is a structured
`PhaseChange` in `state.phase_changes` and a `phase` line in the timeline (the drill scorecard reads the former)."""

from datetime import datetime

from domain.common.limits import ALERT_LINES_KEPT_AT_START, PHASE_CHANGES_PER_INCIDENT
from domain.incident.phases import Phase, PhaseChange
from domain.incident.state import IncidentState

# The moment each phase is first reached; `triaged` is `acknowledged_at`, `postmortem` has none.
STAMPS = {Phase.MITIGATING: "mitigating_at", Phase.MITIGATED: "mitigated_at",
          Phase.RESOLVED: "resolved_at", Phase.CLOSED: "closed_at"}


def note_phase_change(state: IncidentState, at: datetime, actor: str, previous: Phase, phase: Phase) -> None:
    state.phase_changes.append(PhaseChange(phase=phase, at=at))
    if len(state.phase_changes) > PHASE_CHANGES_PER_INCIDENT:
        del state.phase_changes[ALERT_LINES_KEPT_AT_START]
    state.note(at, "phase", actor, f"{previous.value} → {phase.value}")


def advance(state: IncidentState, phase: Phase, now: datetime, by: str) -> None:
    """Move the incident forward to `phase` (never back), stamping the first time it gets there."""
    if state.phase.reached(phase):
        return
    stamp = STAMPS.get(phase)
    previous = state.phase
    state.phase = phase
    if stamp and getattr(state, stamp) is None:
        setattr(state, stamp, now)
    note_phase_change(state, now, by, previous, phase)


def phase_changes(state: IncidentState) -> list[PhaseChange]:
    """Every phase the incident entered after `detected`, in order."""
    return list(state.phase_changes)
