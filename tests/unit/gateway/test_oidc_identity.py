"""An ID token's claims → the person of the policy and their role (gateway/auth_routes.py `identify`,
docs/security.md "Logging in"), against the shipped policy: `people[].email` / `oidc_sub`, `access.oidc_groups`,
`people[].role` and `access.default_role`."""

import pytest

from domain.identity.roles import Role
from gateway.auth_routes import identify


def with_sub(policy, person: str, sub: str):
    people = dict(policy.oncall.people)
    people[person] = people[person].model_copy(update={"oidc_sub": sub})
    return policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"people": people})})


@pytest.mark.parametrize("claims, expected", [
    ({"sub": "u-1", "email": "minsu@game.example"}, ("minsu", Role.RESPONDER)),
    ({"sub": "u-1", "email": "  MinSu@Game.Example "}, ("minsu", Role.RESPONDER)),  # emails compare without case
    ({"sub": "u-1", "email": "minsu@game.example", "email_verified": True}, ("minsu", Role.RESPONDER)),
    ({"sub": "minsu@game.example"}, ("minsu", Role.RESPONDER)),  # providers whose sub is the email
    ({"sub": "u-2", "email": "sre-lead@game.example"}, ("sre-lead", Role.COMMANDER)),  # people[].role
    ({"sub": "u-1", "email": "minsu@game.example", "groups": ["game-sre-leads"]}, ("minsu", Role.COMMANDER)),
    ({"sub": "u-1", "email": "minsu@game.example", "groups": ["game-sre-leads", "game-sre-admins", "x"]},
     ("minsu", Role.ADMIN)),  # the highest role of the mapped groups
    ({"sub": "u-1", "email": "minsu@game.example", "groups": "game-sre-admins"}, ("minsu", Role.ADMIN)),
    ({"sub": "u-1", "email": "minsu@game.example", "groups": ["unmapped"]}, ("minsu", Role.RESPONDER)),
    ({"sub": "u-2", "email": "cto@game.example", "groups": []}, ("cto", Role.COMMANDER)),  # groups never lower it
])
def test_the_claims_name_a_person_and_their_role(policy, claims, expected):
    assert identify(policy, claims) == expected


@pytest.mark.parametrize("claims", [
    {"sub": "u-9", "email": "stranger@elsewhere.example"},
    {"sub": "u-9"},
    {"sub": "u-9", "email": "minsu@game.example", "email_verified": False},  # the provider vouches for nothing
    {"sub": "u-9", "email": "minsu@game.example.evil"},
    {"sub": "u-9", "email": "", "groups": ["game-sre-admins"]},  # a group alone makes nobody a person
])
def test_claims_naming_nobody_of_the_policy_are_none(policy, claims):
    assert identify(policy, claims) is None


def test_a_persons_oidc_sub_counts_before_any_email(policy):
    policy = with_sub(policy, "jiyoung", "00u-jiyoung")
    # the provider's email is not one of the policy's, or is someone else's: the sub decides
    assert identify(policy, {"sub": "00u-jiyoung", "email": "jy@corp.example"}) == ("jiyoung", Role.RESPONDER)
    assert identify(policy, {"sub": "00u-jiyoung", "email": "minsu@game.example"}) == ("jiyoung", Role.RESPONDER)
    assert identify(policy, {"sub": "00u-someone", "email": "jy@corp.example"}) is None
