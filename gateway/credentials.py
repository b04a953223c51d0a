"""What a request presents, turned into the Principal acting (docs/security.md, "Who is acting"): the shared
`INCIDENTFLOW_API_TOKEN` (an admin token, so existing set-ups keep working), a personal or service token from
the ledger, or a browser session. The Guard asks before any body is read and leaves the answer in the
request's state for the routes (gateway/principal.py)."""

import asyncio
from collections.abc import Awaitable, Callable

from adapters.stores.ledger import Ledger
from domain.identity.principal import Principal, PrincipalKind, Source
from domain.identity.roles import Role
from domain.policy.model import Policy
from gateway.guard_tokens import token_matches
from service import tokens

SHARED_TOKEN_NAME = "api-token"

# A lookup of a presented secret: the Principal it belongs to, or None when it is nobody's (or revoked, expired)
Lookup = Callable[[bytes], Awaitable[Principal | None]]


class Credentials:
    def __init__(self, shared_tokens: list[bytes], issued_tokens: Lookup | None = None,
                 sessions: Lookup | None = None):
        self.shared_tokens = shared_tokens
        self.issued_tokens = issued_tokens
        self.sessions = sessions

    @property
    def any_configured(self) -> bool:
        return bool(self.shared_tokens) or self.issued_tokens is not None

    async def from_bearer(self, presented: bytes) -> Principal | None:
        if token_matches(presented, self.shared_tokens):
            return Principal(kind=PrincipalKind.ADMIN, name=SHARED_TOKEN_NAME, role=Role.ADMIN, source=Source.API)
        if self.issued_tokens is not None:
            return await self.issued_tokens(presented)
        return None

    async def from_session(self, cookie: bytes) -> Principal | None:
        if self.sessions is None:
            return None
        return await self.sessions(cookie)


def issued_tokens(ledger: Callable[[], Ledger], policy: Callable[[], Policy | None]) -> Lookup:
    """The tokens of the ledger (service/tokens.py), looked up afresh on every request and off the event loop:
    a revoked or expired token is refused from the next request on."""

    async def lookup(presented: bytes) -> Principal | None:
        if not presented.startswith(tokens.PREFIX.encode()):  # not one of ours: no ledger read
            return None
        return await asyncio.to_thread(lambda: tokens.principal_for(ledger(), presented, policy()))

    return lookup
