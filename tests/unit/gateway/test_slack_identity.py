"""Slack users → people of the policy (gateway/slack_identity.py), with the real slack-sdk client against the fake
Slack Web API on loopback: `slack_id` first, then the profile's email (any case); one `users.info` per user for a
burst of presses and for minutes after; while Slack is down or hangs, only `slack_id` maps, and quickly."""

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from domain.identity.principal import PrincipalKind, Source
from domain.identity.roles import Role
from gateway.slack_identity import (
    KNOWN_FOR_SECONDS,
    UNREACHABLE_FOR_SECONDS,
    SlackDirectory,
    person_with_email,
    slack_actor,
)
from testkit.fakes.slack_api import TOKEN, Fault


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def directory(slack, clock=None, timeout: float = 1.0) -> SlackDirectory:
    return SlackDirectory(AsyncWebClient(token=TOKEN, base_url=slack.api_url), timeout=timeout,
                          clock=clock or Clock())


def without_slack_id(policy, person: str):
    people = dict(policy.oncall.people)
    people[person] = people[person].model_copy(update={"slack_id": None})
    oncall = policy.oncall.model_copy(update={"people": people})
    return policy.model_copy(update={"oncall": oncall})


def with_unmapped(policy, setting: str):
    access = policy.oncall.access.model_copy(update={"unmapped_slack_users": setting})
    return policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"access": access})})


async def test_slack_id_maps_first_without_asking_slack_and_the_role_comes_from_the_policy(slack, policy):
    actor = await slack_actor(directory(slack), policy, "U05SRELEAD")
    assert actor.mapped and actor.principal.model_dump() == {
        "kind": PrincipalKind.PERSON, "name": "sre-lead", "role": Role.COMMANDER, "source": Source.SLACK}
    responder = await slack_actor(directory(slack), policy, "U01MINSU")
    assert (responder.principal.name, responder.principal.role) == ("minsu", Role.RESPONDER)
    assert slack.calls_of("users.info", ok_only=False) == []


async def test_a_person_without_slack_id_is_found_by_the_email_on_their_profile_in_any_case(slack, policy):
    slack.users["U77SEOYEON"] = {"email": "SeoYeon@GAME.example", "real_name": "Choi Seoyeon"}
    actor = await slack_actor(directory(slack), without_slack_id(policy, "seoyeon"), "U77SEOYEON")
    assert actor.mapped and actor.principal.name == "seoyeon" and actor.principal.role is Role.RESPONDER
    assert [c.args["user"] for c in slack.calls_of("users.info")] == ["U77SEOYEON"]
    assert person_with_email(policy, " CTO@game.example ") == "cto"
    assert person_with_email(policy, "nobody@game.example") is None


async def test_a_burst_of_presses_costs_one_users_info_call_until_the_answer_is_old(slack, policy):
    slack.users["U77SEOYEON"] = {"email": "seoyeon@game.example"}
    clock = Clock()
    lookup = directory(slack, clock)
    emails = await asyncio.gather(*(lookup.email_of("U77SEOYEON") for _ in range(8)))
    assert emails == ["seoyeon@game.example"] * 8
    clock.now += KNOWN_FOR_SECONDS - 1
    assert await lookup.email_of("U77SEOYEON") == "seoyeon@game.example"
    assert len(slack.calls_of("users.info")) == 1
    clock.now += 2
    await lookup.email_of("U77SEOYEON")
    assert len(slack.calls_of("users.info")) == 2
    # "no such user" is an answer too: kept as long
    assert await lookup.email_of("U99NOBODY") is None
    assert await lookup.email_of("U99NOBODY") is None
    assert len(slack.calls_of("users.info")) == 3


async def test_while_slack_is_down_only_slack_id_maps_and_slack_is_asked_again_soon(slack, policy):
    slack.users["U77SEOYEON"] = {"email": "seoyeon@game.example"}
    email_only = without_slack_id(policy, "seoyeon")
    clock = Clock()
    lookup = directory(slack, clock)
    slack.outage = Fault(status=500)
    down = await slack_actor(lookup, email_only, "U77SEOYEON")
    still_mapped = await slack_actor(lookup, email_only, "U01MINSU")
    assert not down.mapped and down.read_only and down.principal.name == "slack:U77SEOYEON"
    assert still_mapped.mapped and still_mapped.principal.name == "minsu"
    slack.outage = None
    assert not (await slack_actor(lookup, email_only, "U77SEOYEON")).mapped  # not asked again at once
    clock.now += UNREACHABLE_FOR_SECONDS + 1
    assert (await slack_actor(lookup, email_only, "U77SEOYEON")).principal.name == "seoyeon"
    assert [c.status for c in slack.calls_of("users.info", ok_only=False)] == [500, 200]


async def test_a_hanging_slack_is_given_up_on_after_the_short_timeout(slack, policy):
    slack.users["U77SEOYEON"] = {"email": "seoyeon@game.example"}
    slack.fail_next("users.info", Fault(status=200, hold_seconds=1.5))
    actor = await slack_actor(directory(slack, timeout=0.2), without_slack_id(policy, "seoyeon"), "U77SEOYEON")
    assert not actor.mapped  # the answer (seoyeon) came too late to be waited for


async def test_an_unmapped_user_may_only_read_unless_the_policy_lets_them_respond(slack, policy):
    refused = await slack_actor(directory(slack), policy, "U99EVIL")
    assert refused.read_only and refused.principal.role is Role.VIEWER
    assert refused.refusal("read") is None
    assert refused.refusal("assign_role") == "Slack user U99EVIL is not one of the people in the on-call policy"
    assert refused.reply(refused.refusal("declare")) == (
        "You are not one of the people in the on-call policy, so you can read incidents here but not declare or "
        "decide. Ask an admin to add your Slack ID (U99EVIL) to policies/oncall-escalation-policy.yaml.")
    guest = await slack_actor(directory(slack), with_unmapped(policy, "responder"), "U99GUEST")
    assert not guest.mapped and not guest.read_only
    assert (guest.principal.name, guest.principal.role) == ("slack:U99GUEST", Role.RESPONDER)
    assert guest.refusal("acknowledge") is None
    assert guest.reply(guest.refusal("close")) == (
        "Not allowed: slack:U99GUEST is a responder: close needs commander. "
        "The incident's IC has commander rights in it.")


async def test_without_a_bot_token_or_a_policy_nobody_is_looked_up(slack, policy):
    assert await SlackDirectory(None).email_of("U77SEOYEON") is None
    nobody = await slack_actor(directory(slack), None, "U01MINSU")
    assert nobody.read_only
    assert slack.calls_of("users.info", ok_only=False) == []
