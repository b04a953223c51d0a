"""API tokens (docs/security.md, "Tokens"): a personal token acts as its person with the role the policy gives them
today, a service token may only open and feed incidents, an admin token may do anything. A token reads
`ift_<id>_<secret>`: the id is public (lists, revocation), the secret is shown once and only its SHA-256 hash is
kept. Every request looks the token up again, so a revoked or expired one stops at once."""

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from adapters.stores.ledger import Ledger
from adapters.stores.tokens import LAST_USED_RESOLUTION, TokenRecords
from domain.identity.principal import Principal, PrincipalKind, Source
from domain.identity.roles import Role
from domain.policy.model import Policy
from service.errors import ServiceError

PREFIX = "ift_"
NAME_MAX = 120
_SHAPE = re.compile(r"^ift_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


class UnknownToken(ServiceError):
    """No token has this id."""


class TokenInfo(BaseModel):
    """What may be shown about a token: never its secret, never its hash."""

    id: str
    name: str
    kind: PrincipalKind
    person: str | None = None
    role: Role | None = None
    created_at: datetime
    created_by: str | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    state: Literal["active", "expired", "revoked"]


class IssuedToken(TokenInfo):
    secret: str  # the whole `ift_<id>_<secret>`: shown to its owner once, then only its hash exists


def issue(ledger: Ledger, *, name: str, kind: PrincipalKind, person: str | None = None, role: Role | None = None,
          expires_at: datetime | None = None, policy: Policy | None = None, created_by: str | None = None,
          now: datetime | None = None) -> IssuedToken:
    """A new token. With `policy`, a personal token's person must be one of its people and `role` (a cap on
    what the token may do) no higher than theirs."""
    now = now or datetime.now(UTC)
    name = name.strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise ServiceError(f"token name: 1 to {NAME_MAX} printable characters", 2)
    kind = PrincipalKind(kind)
    if (kind is PrincipalKind.PERSON) != (person is not None):
        raise ServiceError("a personal token names its person; service and admin tokens name none", 2)
    if kind is not PrincipalKind.PERSON and role is not None:
        raise ServiceError("only a personal token takes a role (a cap below the person's own)", 2)
    if kind is PrincipalKind.PERSON and policy is not None:
        held = _person_role(policy, person)
        if held is None:
            raise ServiceError(f"{person!r} is not one of the people of the policy", 2)
        if role is not None and not held.covers(role):
            raise ServiceError(f"{person} is a {held.value}: their token cannot be {role.value}", 2)
    if expires_at is not None and expires_at <= now:
        raise ServiceError("the expiry must be in the future", 2)
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = {"id": token_id, "name": name, "kind": kind.value, "person": person,
           "role": role.value if role is not None else None, "secret_hash": _hash(secret), "created_at": now,
           "created_by": created_by, "expires_at": expires_at, "revoked_at": None, "last_used_at": None}
    TokenRecords(ledger.engine).add(row)
    return IssuedToken(**_info(row, now).model_dump(), secret=f"{PREFIX}{token_id}_{secret}")


def tokens(ledger: Ledger, now: datetime | None = None) -> list[TokenInfo]:
    """Every token, newest first, revoked and expired ones included."""
    now = now or datetime.now(UTC)
    return [_info(row, now) for row in TokenRecords(ledger.engine).all()]


def revoke(ledger: Ledger, token_id: str, now: datetime | None = None) -> None:
    """From the next request on the token is refused. Revoking twice is fine; an unknown id is UnknownToken."""
    if TokenRecords(ledger.engine).revoke(token_id.strip(), now or datetime.now(UTC)) is None:
        raise UnknownToken(f"no token {token_id!r} (see `incident token list`)")


def principal_for(ledger: Ledger, secret: bytes | str, policy: Policy | None,
                  now: datetime | None = None) -> Principal | None:
    """Who presents `secret`: None when it is no token of ours, revoked, expired, or its person has left the
    policy. A personal token's role is the one the policy gives the person now (capped by the token's role)."""
    presented = secret.decode("latin-1") if isinstance(secret, bytes) else secret
    shape = _SHAPE.match(presented)
    if shape is None:
        return None
    token_id, raw = shape.groups()
    records = TokenRecords(ledger.engine)
    row = records.get(token_id)
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash(raw)):
        return None
    now = now or datetime.now(UTC)
    if _state(row, now) != "active":
        return None
    principal = _principal(row, policy)
    if principal is not None and (row["last_used_at"] is None or row["last_used_at"] < now - LAST_USED_RESOLUTION):
        records.used(token_id, now)
    return principal


def _principal(row: dict, policy: Policy | None) -> Principal | None:
    kind = PrincipalKind(row["kind"])
    if kind is PrincipalKind.ADMIN:
        return Principal(kind=kind, name=row["name"], role=Role.ADMIN, source=Source.API)
    if kind is PrincipalKind.SERVICE:  # what a service token may do is its kind's, not a role's (SERVICE_ACTIONS)
        return Principal(kind=kind, name=row["name"], role=Role.VIEWER, source=Source.API)
    held = _person_role(policy, row["person"]) if policy is not None else None
    if held is None:
        return None
    cap = Role(row["role"]) if row["role"] else None
    role = cap if cap is not None and not cap.covers(held) else held
    return Principal(kind=kind, name=row["person"], role=role, source=Source.API)


def _person_role(policy: Policy, person: str) -> Role | None:
    found = policy.oncall.people.get(person)
    return policy.oncall.access.role_of(found) if found is not None else None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _state(row: dict, now: datetime) -> Literal["active", "expired", "revoked"]:
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


def _info(row: dict, now: datetime) -> TokenInfo:
    fields = {k: v for k, v in row.items() if k != "secret_hash"}
    return TokenInfo(**fields, state=_state(row, now))
