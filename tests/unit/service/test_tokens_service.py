"""API tokens on SQLite and PostgreSQL (service/tokens.py over adapters/stores/tokens.py): shown once, stored
hashed, checked on every use; a personal token acts as its person with the policy's role."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from adapters.stores import ledger_schema
from domain.identity.principal import PrincipalKind, Source
from domain.identity.roles import Role
from service import tokens
from service.errors import ServiceError

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_personal_token_acts_as_its_person_with_the_policys_role(ledger, policy):
    issued = tokens.issue(ledger, name="minsu laptop", kind=PrincipalKind.PERSON, person="minsu", policy=policy,
                          now=T0)
    assert issued.secret.startswith(f"ift_{issued.id}_")
    principal = tokens.principal_for(ledger, issued.secret.encode(), policy, now=T0 + timedelta(minutes=1))
    assert (principal.kind, principal.name, principal.role, principal.source) == (
        PrincipalKind.PERSON, "minsu", Role.RESPONDER, Source.API)
    lead = tokens.issue(ledger, name="lead", kind=PrincipalKind.PERSON, person="sre-lead", role=Role.RESPONDER,
                        policy=policy, now=T0)
    assert tokens.principal_for(ledger, lead.secret, policy, now=T0).role is Role.RESPONDER  # capped by the token


def test_only_the_hash_is_stored_and_listing_never_shows_a_secret(ledger, policy):
    issued = tokens.issue(ledger, name="alertmanager", kind=PrincipalKind.SERVICE, now=T0)
    secret = issued.secret.removeprefix(f"ift_{issued.id}_")
    with ledger.engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(sa.select(ledger_schema.api_tokens)).mappings()]
    assert len(stored) == 1 and issued.secret not in str(stored) and secret not in str(stored)
    listed = tokens.tokens(ledger, now=T0)
    assert [(t.id, t.name, t.kind, t.state) for t in listed] == [
        (issued.id, "alertmanager", PrincipalKind.SERVICE, "active")]
    dumped = listed[0].model_dump_json()
    assert "secret" not in dumped and stored[0]["secret_hash"] not in dumped


def test_revoked_expired_forged_and_unknown_tokens_are_nobody(ledger, policy):
    person = tokens.issue(ledger, name="p", kind=PrincipalKind.PERSON, person="jiyoung", policy=policy, now=T0,
                          expires_at=T0 + timedelta(days=90))
    service = tokens.issue(ledger, name="s", kind=PrincipalKind.SERVICE, now=T0)
    assert tokens.principal_for(ledger, service.secret, policy, now=T0).kind is PrincipalKind.SERVICE
    tokens.revoke(ledger, service.id, now=T0 + timedelta(hours=1))
    assert tokens.principal_for(ledger, service.secret, policy, now=T0 + timedelta(hours=1)) is None
    assert tokens.principal_for(ledger, person.secret, policy, now=T0 + timedelta(days=89)) is not None
    assert tokens.principal_for(ledger, person.secret, policy, now=T0 + timedelta(days=90)) is None
    forged = person.secret[:-1] + ("A" if person.secret[-1] != "A" else "B")
    assert tokens.principal_for(ledger, forged, policy, now=T0) is None
    assert tokens.principal_for(ledger, "ift_000000000000_" + "x" * 43, policy, now=T0) is None
    assert tokens.principal_for(ledger, b"test-token-1", policy, now=T0) is None
    states = {t.id: t.state for t in tokens.tokens(ledger, now=T0 + timedelta(days=90))}
    assert states == {person.id: "expired", service.id: "revoked"}
    with pytest.raises(tokens.UnknownToken):
        tokens.revoke(ledger, "nope")


def test_a_person_who_leaves_the_policy_loses_their_token(ledger, policy):
    issued = tokens.issue(ledger, name="p", kind=PrincipalKind.PERSON, person="hyunwoo", policy=policy, now=T0)
    people = {k: v for k, v in policy.oncall.people.items() if k != "hyunwoo"}
    without = policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"people": people})})
    assert tokens.principal_for(ledger, issued.secret, without, now=T0) is None
    assert tokens.principal_for(ledger, issued.secret, None, now=T0) is None


def test_last_use_is_noted_at_most_once_a_minute(ledger, policy):
    issued = tokens.issue(ledger, name="admin script", kind=PrincipalKind.ADMIN, now=T0)
    assert tokens.principal_for(ledger, issued.secret, policy, now=T0 + timedelta(seconds=5)).role is Role.ADMIN
    tokens.principal_for(ledger, issued.secret, policy, now=T0 + timedelta(seconds=30))
    assert tokens.tokens(ledger)[0].last_used_at == T0 + timedelta(seconds=5)
    tokens.principal_for(ledger, issued.secret, policy, now=T0 + timedelta(minutes=2))
    assert tokens.tokens(ledger)[0].last_used_at == T0 + timedelta(minutes=2)


@pytest.mark.parametrize(("request_", "message"), [
    ({"kind": PrincipalKind.PERSON, "person": "mallory"}, "'mallory' is not one of the people"),
    ({"kind": PrincipalKind.PERSON, "person": "minsu", "role": Role.ADMIN}, "minsu is a responder"),
    ({"kind": PrincipalKind.PERSON}, "names its person"),
    ({"kind": PrincipalKind.SERVICE, "person": "minsu"}, "names its person"),
    ({"kind": PrincipalKind.SERVICE, "role": Role.ADMIN}, "only a personal token takes a role"),
    ({"kind": PrincipalKind.ADMIN, "expires_at": T0}, "in the future"),
    ({"kind": PrincipalKind.ADMIN, "name": " "}, "token name"),
])
def test_what_cannot_be_issued_is_refused_by_name(ledger, policy, request_, message):
    with pytest.raises(ServiceError, match=message):
        tokens.issue(ledger, **{"name": "t", **request_}, policy=policy, now=T0)
    assert tokens.tokens(ledger) == []
