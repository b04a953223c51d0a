"""Browser sessions (docs/security.md, "Logging in"): server-side, in the ledger. The cookie holds a random id and
the ledger only its hash, so a copy of the database logs nobody in; logging out deletes the row, so the cookie
stops working at once. The CSRF token is derived from the cookie's id (an HMAC of it): only a page that was given
it at login or by /auth/me can send it, and it needs no row of its own."""

import asyncio
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi import Request, Response
from starlette.requests import cookie_parser
from starlette.types import Scope

from adapters.stores.sessions import SessionRecords
from domain.identity.principal import Principal, PrincipalKind, Source
from domain.identity.roles import Role
from gateway.credentials import Credentials
from gateway.errors import rejection
from gateway.metrics import Metrics

COOKIE = "incidentflow_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"incidentflow csrf", hashlib.sha256).hexdigest()


class Sessions:
    """Opened lazily: an app that nobody logs in to never touches the ledger for them."""

    def __init__(self, engine_of, lifetime: timedelta, secure: bool | None, policy=lambda: None):
        self._engine_of = engine_of  # () -> sa.Engine of the ledger
        self._policy = policy  # () -> Policy | None: a person removed from it is logged out at their next request
        self._records: SessionRecords | None = None
        self.lifetime = lifetime
        self.secure = secure  # None: Secure when the request came over https

    @property
    def records(self) -> SessionRecords:
        if self._records is None:
            engine: sa.Engine = self._engine_of()
            self._records = SessionRecords(engine)
        return self._records

    async def open(self, person: str, role: Role, via: str) -> str:
        """A new session for `person`; returns the cookie's value (shown to nobody else, stored only hashed)."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        row = {"id_hash": _hash(session_id), "person": person, "role": role.value, "via": via,
               "created_at": now, "expires_at": now + self.lifetime}

        def store() -> None:
            self.records.delete_expired(now)
            self.records.add(row)

        await asyncio.to_thread(store)
        return session_id

    async def principal(self, session_id: bytes | str) -> Principal | None:
        """The `sessions` Lookup of Credentials: the person of a live session, acting from the console."""
        session_id = session_id.decode("latin-1") if isinstance(session_id, bytes) else session_id
        row = await asyncio.to_thread(self.records.live, _hash(session_id), datetime.now(UTC))
        if row is None:
            return None
        policy = self._policy()
        if policy is not None and row["person"] not in policy.oncall.people:
            return None
        return Principal(kind=PrincipalKind.PERSON, name=row["person"], role=Role(row["role"]), source=Source.CONSOLE)

    async def close(self, session_id: str) -> bool:
        return await asyncio.to_thread(self.records.delete, _hash(session_id))

    def set_cookie(self, request: Request, response: Response, session_id: str) -> None:
        secure = self.secure if self.secure is not None else request.url.scheme == "https"
        response.set_cookie(COOKIE, session_id, max_age=int(self.lifetime.total_seconds()), path="/",
                            httponly=True, samesite="lax", secure=secure)

    def clear_cookie(self, request: Request, response: Response) -> None:
        secure = self.secure if self.secure is not None else request.url.scheme == "https"
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)


def session_id_of(headers: dict[str, bytes]) -> str | None:
    """The session cookie's value in a request's (lower-cased) headers, or None."""
    raw = headers.get("cookie")
    if not raw:
        return None
    return cookie_parser(raw.decode("latin-1")).get(COOKIE) or None  # Starlette's: lenient, as browsers are


async def session_refusal(scope: Scope, headers: dict[str, bytes], credentials: Credentials, metrics: Metrics):
    """For the Guard: a request that sent the session cookie and no Authorization header. Leaves the Principal in
    the request's state and returns None, or returns the refusal: 401 for no live session, 403 for a
    state-changing request without the session's CSRF token."""
    session_id = session_id_of(headers)
    principal = await credentials.from_session(session_id.encode("latin-1")) if session_id else None
    if principal is None:
        return rejection(metrics, 401, "unauthorized", "no live session (logged out or expired): log in at /auth/login")
    if scope["method"] not in SAFE_METHODS:
        presented = headers.get(CSRF_HEADER, b"").decode("latin-1").strip()
        if not presented or not hmac.compare_digest(presented.encode(), csrf_token(session_id).encode()):
            return rejection(metrics, 403, "csrf", f"a state-changing request with the session cookie needs the "
                                                   f"{CSRF_HEADER.upper()} header (GET /auth/me gives it)")
    scope.setdefault("state", {})["principal"] = principal
    return None
