"""The activity that takes an incident's policy snapshot (the files are read by adapters/policy_files.py)."""

from temporalio import activity

from adapters.policy_files import policy_snapshot
from domain.policy.model import Policy


@activity.defn
async def load_policy_snapshot(directory: str | None) -> Policy:
    """The policy an incident keeps for its whole life (PagerDuty does the same with escalation policies),
    for incidents whose starter did not take the snapshot itself (`IncidentStart.policy`)."""
    return policy_snapshot(directory)
