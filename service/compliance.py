"""The procedure-compliance score of a resolved incident (`domain.learning.compliance`), as `incident show` and the API
give it: read with the policy and the incident's postmortem from the ledger."""

from datetime import UTC, datetime

from adapters.policy_files import PolicyError, load_policy
from adapters.stores.ledger import open_ledger
from adapters.stores.ledger_engine import default_url
from domain.learning.compliance import compliance
from settings import get_settings


def incident_compliance(state, settings=None):
    """None while the incident is open or the policy is invalid; the postmortem step shows as pending when the
    ledger is not reachable from here. `settings`: the gateway's own; default the process settings."""
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
