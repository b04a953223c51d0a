"""The steps of a paged person's notification rules after the page itself (step 0): when each is due, and when
the person turned out to be unreachable. Pure; the planner turns them into actions while the incident is
unacknowledged and open (docs/communications.md, "Notification rules")."""

from datetime import datetime

from domain.incident.state import IncidentState, Page, RuleStep
from domain.policy.notification_rules import NotifyStep


def step_times(page: Page, chain: list[NotifyStep]) -> list[tuple[int, datetime]]:
    """Each further step and when it is due: the page time + its `after`, or at once when the step before it
    failed (no channel took it), so a method that fails falls over to the next."""
    sent = {step.step: step for step in page.steps}
    times = []
    for number in range(1, len(chain)):
        at = page.at + chain[number].after
        before = sent.get(number - 1)
        if before is not None and before.failed:
            at = min(at, before.at)
        times.append((number, at))
    return times


def unreachable_at(page: Page, chain: list[NotifyStep]) -> datetime | None:
    """When the last step failed, if every step of the chain went out and none reached the person; else None."""
    if not chain or len(page.steps) < len(chain) or not all(step.failed for step in page.steps):
        return None
    return max(step.at for step in page.steps)


def methods(chain: list[NotifyStep]) -> str:
    """The chain's channels in order, each once: "slack, sms or voice"."""
    names = list(dict.fromkeys(name for step in chain for name in step.channels))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def record_step(state: IncidentState, page: Page, chain: list[NotifyStep], number: int, sent_at: datetime,
                channels: list[str], refused: list[str], now: datetime) -> RuleStep:
    """Keep how a step went in its page and say it in the timeline: who was notified by what, and each channel
    that refused (the last line of a step nobody took names the step it falls over to)."""
    step = RuleStep(step=number, via=chain[number].channels, at=sent_at, channels=channels, refused=refused)
    page.steps.append(step)
    if step.channels:
        state.note(now, "page", "incidentflow",
                   f"notified {page.target} by {' and '.join(step.channels)} (step {number + 1} of {len(chain)})")
    following = chain[number + 1].describe() if number + 1 < len(chain) else None
    for position, reason in enumerate(refused, start=1):
        channel, _, why = reason.partition(": ")
        tail = ""
        if step.failed and position == len(refused):
            tail = f", falling over to {following}" if following else ", no step left"
        state.note(now, "notification", "incidentflow", f"{channel} to {page.target} refused: {why}{tail}")
    return step
