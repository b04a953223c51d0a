"""Who may do what (docs/security.md, "Roles"): four roles in order, each allowed what the one below it may do
and more; the incident's IC holds commander rights in that incident."""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    COMMANDER = "commander"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def covers(self, needed: "Role") -> bool:
        return self.rank >= needed.rank


# Every action a person can take, with the least role that may take it. Decision kinds are the incident's
# decisions (domain/incident/decisions.py); the others are named after what they touch.
NEEDED_ROLE: dict[str, Role] = {
    "read": Role.VIEWER,
    "declare": Role.RESPONDER,
    "acknowledge": Role.RESPONDER,
    "add_note": Role.RESPONDER,
    "assign_role": Role.RESPONDER,
    "check_item": Role.RESPONDER,
    "start_mitigation": Role.RESPONDER,
    "mark_mitigated": Role.RESPONDER,
    "resolve": Role.RESPONDER,
    "post_update": Role.RESPONDER,
    "escalate_now": Role.RESPONDER,
    "run_runbook": Role.RESPONDER,
    "postmortem": Role.RESPONDER,
    "action_item": Role.RESPONDER,
    "set_severity": Role.COMMANDER,
    "close": Role.COMMANDER,
    "approve_step": Role.COMMANDER,
    "reject_step": Role.COMMANDER,
    "cancel_runbook": Role.COMMANDER,
    "audit": Role.COMMANDER,
    "compensation": Role.COMMANDER,
    "training": Role.COMMANDER,
    "periodic": Role.COMMANDER,
    "tokens": Role.ADMIN,
    "overrides": Role.ADMIN,
    "policy_reload": Role.ADMIN,
}

# What a service token (an alert sender) may do: open and feed incidents, never decide or read.
SERVICE_ACTIONS = frozenset({"intake", "declare"})
