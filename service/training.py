"""Training completions as every client sees them (docs/oncall.md, "Training"): record and list them, and
decide whether a person may be put on call (an override for someone without onboarding is refused, or only
warned about, as the on-call policy's `training.untrained_oncall` says)."""

from datetime import UTC, datetime

from adapters.stores.ledger import Ledger
from domain.oncall.training import Eligibility, TrainingRecord, default_hours, eligibility
from domain.policy.model import Policy
from service.completion_time import completion_time
from service.errors import ServiceError


class UntrainedPerson(ServiceError):
    """The policy refuses to put this person on call before their onboarding."""


def record(ledger: Ledger, policy: Policy, *, person: str, kind: str, by: str, at: datetime | None = None,
           hours: float | None = None, notes: str = "", role: str | None = None, evaluation: str | None = None,
           scorecard: dict | None = None) -> TrainingRecord:
    """Store one completion; `hours` defaults to the requirement's (1 h for a drill). A drill's participant may
    come with the role they played, their evaluation and the drill's scorecard, archived with the record."""
    if person not in policy.oncall.people:
        raise ServiceError(f"{person!r} is not listed under people in the on-call policy "
                           f"(known: {', '.join(policy.oncall.people)})")
    now = datetime.now(UTC)
    completed_at = completion_time(at, now)
    if scorecard is not None and not (isinstance(scorecard, dict) and "incident_id" in scorecard):
        raise ServiceError("the scorecard must be the JSON object `incident drill run --json` prints")
    if kind != "drill" and (role or scorecard is not None):
        raise ServiceError("a role and a scorecard belong to a drill record")
    chosen = hours if hours is not None else (default_hours(policy.oncall, kind) or 1.0)
    try:
        entry = TrainingRecord(person=person, kind=kind, completed_at=completed_at, hours=chosen,
                               notes=notes.strip(), role=(role or "").strip() or None,
                               evaluation=(evaluation or "").strip() or None, scorecard=scorecard,
                               recorded_by=by.strip(), recorded_at=now)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    new_id = ledger.add_training(entry.model_dump(exclude={"id"}))
    return entry.model_copy(update={"id": new_id})


def records(ledger: Ledger, person: str | None = None) -> list[TrainingRecord]:
    return [TrainingRecord.model_validate(row) for row in ledger.training(person)]


def may_go_on_call(ledger: Ledger, policy: Policy, person: str) -> tuple[Eligibility, str | None]:
    """Raise UntrainedPerson when the policy refuses `person` on call; else their eligibility and, when the
    policy only warns, the warning to show."""
    verdict = eligibility(policy.oncall, records(ledger, person), person)
    if verdict.eligible:
        return verdict, None
    message = (f"{person} ({policy.person_name(person)}) may not go on call yet: {verdict.why}; record it with "
               f"`incident training record {person} onboarding --by <you>`")
    if policy.oncall.training.untrained_oncall == "refuse":
        raise UntrainedPerson(message + " (policy: training.untrained_oncall = refuse)")
    return verdict, "warning: " + message
