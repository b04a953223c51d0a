"""What the learning-loop commands share: the ledger and policy as configured, clear errors."""

from activities.ledger import Ledger, LedgerError, open_ledger
from activities.policy_loader import PolicyError, load_policy
from cli.common import fail
from domain.policy import Policy


def ledger() -> Ledger:
    try:
        return open_ledger()
    except LedgerError as exc:
        fail(str(exc), 2)
    except Exception as exc:  # unreachable database, bad URL: one line, not a traceback
        fail(f"cannot open the incident ledger: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


def policy() -> Policy:
    from settings import get_settings

    try:
        return load_policy(get_settings().policy_dir)
    except PolicyError as exc:
        fail("the policy is invalid:\n" + str(exc), 2)


def incident_key(text: str) -> str:
    from workflows.incident import WORKFLOW_ID_PREFIX

    return text.removeprefix(WORKFLOW_ID_PREFIX)


def incident_compliance(state, settings=None):
    """The procedure-compliance score of a resolved incident (`domain.compliance`), reading its postmortem
    from the ledger when the ledger is reachable; None while the incident is open or the policy is invalid.
    `settings`: the gateway's own; default the process settings."""
    from datetime import UTC, datetime

    from activities.ledger import default_url
    from activities.policy_loader import PolicyError, load_policy
    from domain.compliance import compliance
    from settings import get_settings

    if state.phase.is_open:
        return None
    settings = settings or get_settings()
    try:
        policy_ = load_policy(settings.policy_dir)
    except PolicyError:
        return None
    try:
        postmortem = open_ledger(settings.database_url or default_url(settings.data_dir)).postmortem(state.id)
    except Exception:  # no ledger here: the postmortem step shows as pending
        postmortem = None
    return compliance(policy_, state, postmortem, datetime.now(UTC))


def compliance_json(state, settings=None) -> dict | None:
    """`compliance` in `incident show --json` and `GET /api/incidents/{id}`: null while the incident is open."""
    result = incident_compliance(state, settings)
    if result is None:
        return None
    return {"score": result.score, "percent": result.percent, "steps": [s.model_dump() for s in result.steps]}


def compliance_summary(state) -> str | None:
    """`Procedure compliance: 60% (…)` for a resolved incident; None while it is open."""
    result = incident_compliance(state)
    if result is None:
        return None
    missed = [f"{s.name}{f' ({s.detail})' if s.detail else ''}" for s in result.steps if s.ok is False]
    pending = [s.name for s in result.steps if s.ok is None]
    text = f"Procedure compliance: {result.percent} of steps done on time"
    if missed:
        text += "\n  missed: " + "; ".join(missed)
    if pending:
        text += "\n  pending: " + "; ".join(pending)
    return text
