"""The one acting: a person of the policy, a service token (an alert sender) or an admin token, and the door
they came through. Every decision records its actor from here, never from a free-text `by`."""

from enum import StrEnum

from domain.common.models import Strict
from domain.identity.roles import NEEDED_ROLE, SERVICE_ACTIONS, Role
from domain.incident.state import IncidentState


class PrincipalKind(StrEnum):
    PERSON = "person"
    SERVICE = "service"
    ADMIN = "admin"


class Source(StrEnum):
    API = "api"
    CLI = "cli"
    SLACK = "slack"
    CONSOLE = "console"
    SMS = "sms"  # a reply to an SMS page (gateway/twilio_webhooks.py)
    VOICE = "voice"  # a key pressed during a voice page


class Principal(Strict):
    kind: PrincipalKind
    name: str  # the person's key in the policy, or the token's name
    role: Role
    source: Source = Source.API

    def actor(self, on_behalf_of: str | None = None) -> str:
        """The name the timeline, ledger and reports show. Only admin and service tokens may name someone
        else, recorded as "X on behalf of Y"; a person always acts as themselves."""
        if self.kind is PrincipalKind.PERSON or not on_behalf_of or on_behalf_of == self.name:
            return self.name
        return f"{self.name} on behalf of {on_behalf_of}"

    def role_in(self, state: IncidentState | None) -> Role:
        """The incident's IC holds commander rights in that incident."""
        if (self.kind is PrincipalKind.PERSON and state is not None and state.roles.ic == self.name
                and not self.role.covers(Role.COMMANDER)):
            return Role.COMMANDER
        return self.role


def refusal(principal: Principal, action: str, state: IncidentState | None = None) -> str | None:
    """Why `principal` may not take `action` (a decision kind or an action named in NEEDED_ROLE), or None."""
    if principal.kind is PrincipalKind.SERVICE:
        if action in SERVICE_ACTIONS:
            return None
        return f"{principal.name} is a service token: it may open and feed incidents, not {action.replace('_', ' ')}"
    needed = NEEDED_ROLE.get(action)
    if needed is None:
        return f"unknown action {action!r}"
    held = principal.role_in(state)
    if held.covers(needed):
        return None
    return f"{principal.name} is a {held.value}: {action.replace('_', ' ')} needs {needed.value}"
