"""Who a Slack user is (docs/security.md, "Slack users"): the person of the policy whose `slack_id` it is, else
the one whose `email` is on the user's Slack profile (`users.info` through slack-sdk, compared without case),
else nobody. Profiles are cached for a few minutes, so a burst of button presses costs one call, and asked
with a short timeout: while Slack is unreachable only `slack_id` maps, and no decision waits long for it."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from fastapi import Request
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from domain.identity.principal import Principal, PrincipalKind, Source, refusal
from domain.identity.roles import Role
from domain.incident.state import IncidentState
from domain.policy.model import Policy
from gateway.context import Gateway

log = logging.getLogger("incidentflow.slack")
LOOKUP_TIMEOUT_SECONDS = 1.0
API_TIMEOUT_SECONDS = 2.5  # any call made while Slack waits for our answer (3 s)
KNOWN_FOR_SECONDS = 5 * 60  # how long Slack's answer (an email, or none) is trusted
UNREACHABLE_FOR_SECONDS = 30  # Slack did not answer: ask again after this, not at every press
NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible"})  # an answer, not an outage
POLICY_FILE = "policies/oncall-escalation-policy.yaml"


def slack_client(request: Request, gateway: Gateway) -> AsyncWebClient | None:
    """The gateway's slack-sdk client (one per app), or None without a bot token."""
    token = gateway.settings.slack_bot_token
    if token is None:
        return None
    state = request.app.state.__dict__
    if "slack_client" not in state:
        state["slack_client"] = AsyncWebClient(token=token.get_secret_value(), base_url=gateway.settings.slack_api_url,
                                               timeout=API_TIMEOUT_SECONDS)
    return state["slack_client"]


class SlackDirectory:
    """Slack user id → the email on their Slack profile, cached; concurrent asks for one user share one call."""

    def __init__(self, client: AsyncWebClient | None, timeout: float = LOOKUP_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.timeout = timeout
        self.clock = clock
        self._known: dict[str, tuple[float, str | None]] = {}  # user → (trusted until, email)
        self._asking: dict[str, asyncio.Future] = {}

    async def email_of(self, user: str) -> str | None:
        if self.client is None:
            return None
        known = self._known.get(user)
        if known is not None and known[0] > self.clock():
            return known[1]
        if user not in self._asking:
            self._asking[user] = asyncio.ensure_future(self._ask(user))
        return await asyncio.shield(self._asking[user])

    async def _ask(self, user: str) -> str | None:
        email, keep = None, UNREACHABLE_FOR_SECONDS
        try:
            answer = await asyncio.wait_for(self.client.users_info(user=user), self.timeout)
            email, keep = (answer.get("user") or {}).get("profile", {}).get("email"), KNOWN_FOR_SECONDS
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in NO_SUCH_USER:
                keep = KNOWN_FOR_SECONDS
            else:  # missing_scope (users:read.email), ratelimited, a 5xx …
                log.warning("users.info for %s refused (%s): only slack_id maps this user for now", user, error)
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            log.warning("users.info for %s unanswered (%r): only slack_id maps this user for now", user, exc)
        finally:
            self._asking.pop(user, None)
        now = self.clock()
        self._known = {u: k for u, k in self._known.items() if k[0] > now}
        self._known[user] = (now + keep, email)
        return email


def slack_directory(request: Request, gateway: Gateway) -> SlackDirectory:
    state = request.app.state.__dict__
    if "slack_directory" not in state:
        state["slack_directory"] = SlackDirectory(slack_client(request, gateway))
    return state["slack_directory"]


def person_with_slack_id(policy: Policy | None, user: str) -> str | None:
    people = policy.oncall.people.items() if policy else ()
    return next((key for key, person in people if person.slack_id == user), None)


def person_with_email(policy: Policy | None, email: str | None) -> str | None:
    if policy is None or not email:
        return None
    wanted = email.strip().casefold()
    return next((key for key, person in policy.oncall.people.items()
                 if person.email and person.email.strip().casefold() == wanted), None)


@dataclass(frozen=True)
class SlackActor:
    """The one pressing a button or typing `/incident`: a person of the policy, or a Slack user who is nobody
    there (`mapped` False) — read only, or a responder named `slack:<id>` when the policy lets them."""

    user: str
    principal: Principal
    mapped: bool

    @property
    def read_only(self) -> bool:
        """A Slack user who is nobody in the policy, under `access.unmapped_slack_users: refuse`."""
        return not self.mapped and self.principal.role is Role.VIEWER

    def refusal(self, action: str, state: IncidentState | None = None) -> str | None:
        reason = refusal(self.principal, action, state)
        if reason is not None and self.read_only:
            return f"Slack user {self.user} is not one of the people in the on-call policy"
        return reason

    def reply(self, reason: str) -> str:
        """What the person is told, privately, when `reason` refused them."""
        if self.read_only:
            return ("You are not one of the people in the on-call policy, so you can read incidents here but not "
                    f"declare or decide. Ask an admin to add your Slack ID ({self.user}) to {POLICY_FILE}.")
        hint = " The incident's IC has commander rights in it." if reason.endswith("needs commander") else ""
        return f"Not allowed: {reason}.{hint}"


async def slack_actor(directory: SlackDirectory, policy: Policy | None, user: str) -> SlackActor:
    person = person_with_slack_id(policy, user)
    if person is None and policy is not None and any(p.email for p in policy.oncall.people.values()):
        person = person_with_email(policy, await directory.email_of(user))
    if person is not None:
        role = policy.oncall.access.role_of(policy.oncall.people[person])
        return SlackActor(user, Principal(kind=PrincipalKind.PERSON, name=person, role=role, source=Source.SLACK), True)
    lets_act = policy is not None and policy.oncall.access.unmapped_slack_users == "responder"
    role = Role.RESPONDER if lets_act else Role.VIEWER
    return SlackActor(user, Principal(kind=PrincipalKind.PERSON, name=f"slack:{user}", role=role,
                                      source=Source.SLACK), False)
