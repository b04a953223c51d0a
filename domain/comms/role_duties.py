"""A role's duties, shown to the person at the moment they are given it (seed 000 "인시던트 대응 역할"): in the
decision's answer (CLI, REST API, Slack command) and in the incident room's message that mentions them."""

from domain.incident.decisions import AssignRole, Decision, DecisionResult
from domain.policy.model import Policy


def with_duties(policy: Policy, decision: Decision, result: DecisionResult) -> DecisionResult:
    """The result of an accepted role assignment carries the role's name and responsibilities from the policy."""
    if not isinstance(decision, AssignRole):
        return result
    spec = policy.incident.roles[decision.role]
    return result.model_copy(update={"role_name": spec.name, "duties": list(spec.responsibilities)})


def duties_text(result: DecisionResult) -> str:
    """The decision's line, and for a role its duties as a list the person can work down."""
    if not result.duties:
        return result.text
    lines = [f"{result.text} — {result.role_name}. Your duties:", *(f"• {duty}" for duty in result.duties)]
    return "\n".join(lines)
