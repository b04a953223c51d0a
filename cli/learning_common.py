"""What the learning-loop commands share: the ledger and policy as configured, clear errors."""

from cli.common import fail


def ledger():
    """The incident ledger as configured (adapters.stores.ledger.Ledger)."""
    from adapters.stores.ledger import open_ledger
    from adapters.stores.ledger_engine import LedgerError

    try:
        return open_ledger()
    except LedgerError as exc:
        fail(str(exc), 2)
    except Exception as exc:  # unreachable database, bad URL: one line, not a traceback
        fail(f"cannot open the incident ledger: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


def policy():
    """The policy as configured (domain.policy.model.Policy)."""
    from adapters.policy_files import PolicyError, load_policy
    from settings import get_settings

    try:
        return load_policy(get_settings().policy_dir)
    except PolicyError as exc:
        fail("the policy is invalid:\n" + str(exc), 2)


def incident_key(text: str) -> str:
    from workflows.incident import WORKFLOW_ID_PREFIX

    return text.removeprefix(WORKFLOW_ID_PREFIX)


def compliance_summary(state) -> str | None:
    """`Procedure compliance: 60% (…)` for a resolved incident; None while it is open."""
    from service.compliance import incident_compliance

    return compliance_text(incident_compliance(state))


def compliance_text(result) -> str | None:
    """The summary of a `domain.learning.compliance.Compliance` (None: the incident is open)."""
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
