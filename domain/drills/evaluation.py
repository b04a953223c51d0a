"""성과 평가: a short factual evaluation of each drill participant, written from the scorecard the way a lead
would note it (acknowledgement against the target, roles and when, decisions, checklist), and the shared
wording of times and verdicts (docs/drills.md, "Participants and evaluation")."""

from datetime import timedelta

from domain.common.durations import format_duration
from domain.drills.scorecard import Scorecard, ScoredParticipant, Targets
from domain.incident.severity import Role


def clock(seconds: float | None) -> str:
    """Scenario time since the drill started, T+h:mm:ss."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"T+{hours}:{minutes:02d}:{secs:02d}"


def span(seconds: float) -> str:
    return format_duration(timedelta(seconds=round(seconds)))


def against(actual: float | None, limit: float | None) -> str:
    """within | over by 2m | missed (never happened) | - (no target)."""
    if limit is None:
        return "-"
    if actual is None:
        return "missed"
    return "within" if actual <= limit else f"over by {span(actual - limit)}"


def ack_target(targets: Targets) -> str:
    """The acknowledgement target as people read it: `5m`, or `immediate (scored within 1m)`."""
    if targets.immediate:
        return f"immediate (scored within {span(targets.ack_limit_seconds)})"
    return span(targets.ack_seconds)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def evaluate_participant(card: Scorecard, who: ScoredParticipant) -> str:
    """One line of facts, e.g. "acknowledged in 3m10s against the 5m target (within); ic from T+0:04:00;
    6 decisions, first at T+0:03:10; checked 2 checklist items, 1 late (impact-scoped)"."""
    parts = []
    if who.acknowledged_at_seconds is not None and card.mtta_seconds is not None:
        parts.append(f"acknowledged in {span(card.mtta_seconds)} against the {ack_target(card.targets)} target "
                     f"({against(card.mtta_seconds, card.targets.ack_limit_seconds)})")
    else:
        paged = [p for p in card.pages if p.target == who.person]
        acknowledger = next((p.person for p in card.participants if p.acknowledged_at_seconds is not None), None)
        if paged:
            answer = f"acknowledged by {acknowledger}" if acknowledger else "never acknowledged"
            parts.append(f"paged as {paged[0].tier.value} at {clock(paged[0].at_seconds)} ({answer})")
    if who.roles:
        parts.append(", ".join(f"{role.value} from {clock(who.role_since_seconds.get(role))}"
                               if role in who.role_since_seconds else role.value for role in who.roles))
    if who.decisions:
        parts.append(f"{_count(who.decisions, 'decision')}, first at {clock(who.first_action_at_seconds)}")
    else:
        parts.append("no decisions")
    if who.checklist_done:
        late = f", {len(who.checklist_late)} late ({', '.join(who.checklist_late)})" if who.checklist_late else \
            ", all on time"
        parts.append(f"checked {_count(len(who.checklist_done), 'checklist item')}{late}")
    if Role.IC in who.roles:
        open_or_late = [c.item for c in card.checklist if c.late]
        parts.append(f"as ic: {_count(len(open_or_late), 'checklist item')} late or never done "
                     f"({', '.join(open_or_late)})" if open_or_late else "as ic: every checklist item on time")
    return "; ".join(parts)


def with_evaluations(card: Scorecard) -> Scorecard:
    """The scorecard with every participant's evaluation written."""
    for who in card.participants:
        who.evaluation = evaluate_participant(card, who)
    return card
