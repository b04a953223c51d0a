"""Who may do what: every outside decision needs a role, the IC commands their incident, a service token never
decides, and an admin or service token acting for someone is recorded as "X on behalf of Y"."""

from datetime import UTC, datetime

import pytest

from domain.identity.principal import Principal, PrincipalKind, refusal
from domain.identity.roles import NEEDED_ROLE, Role
from domain.incident.decisions import DECISION_KINDS, SYSTEM_ONLY_KINDS
from domain.incident.severity import Severity
from domain.incident.state import IncidentState, Roles

T0 = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def person(name: str, role: Role) -> Principal:
    return Principal(kind=PrincipalKind.PERSON, name=name, role=role)


def incident(ic: str | None = None) -> IncidentState:
    return IncidentState(id="payments-1", title="Payments down", service="payments", severity=Severity.SEV1,
                         declared_by="minsu", started_at=T0, detected_at=T0, roles=Roles(ic=ic))


def test_every_decision_people_may_send_needs_a_role():
    assert set(DECISION_KINDS) - SYSTEM_ONLY_KINDS <= set(NEEDED_ROLE)


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    (Role.VIEWER, ["read"], ["acknowledge", "declare", "resolve"]),
    (Role.RESPONDER, ["acknowledge", "add_note", "resolve", "post_update", "declare"],
     ["set_severity", "close", "training"]),
    (Role.COMMANDER, ["set_severity", "close", "approve_step", "reject_step", "training"], ["tokens", "overrides"]),
    (Role.ADMIN, ["tokens", "overrides", "policy_reload", "close"], []),
])
def test_each_role_may_do_its_own_and_everything_below(role, allowed, refused):
    who = person("jiyoung", role)
    assert [a for a in allowed if refusal(who, a, incident()) is not None] == []
    assert [a for a in refused if refusal(who, a, incident()) is None] == []


def test_a_refusal_names_the_person_their_role_and_the_role_needed():
    assert refusal(person("hyunwoo", Role.VIEWER), "acknowledge", incident()) == (
        "hyunwoo is a viewer: acknowledge needs responder")


def test_the_incidents_ic_holds_commander_rights_in_that_incident_only():
    ic = person("minsu", Role.RESPONDER)
    assert refusal(ic, "set_severity", incident(ic="minsu")) is None
    assert refusal(ic, "set_severity", incident(ic="jiyoung")) is not None
    assert refusal(ic, "tokens", incident(ic="minsu")) is not None  # commander, not admin


def test_a_service_token_opens_and_feeds_incidents_but_never_decides_or_reads():
    sender = Principal(kind=PrincipalKind.SERVICE, name="alertmanager", role=Role.VIEWER)
    assert refusal(sender, "intake") is None and refusal(sender, "declare") is None
    assert refusal(sender, "acknowledge", incident()) == (
        "alertmanager is a service token: it may open and feed incidents, not acknowledge")
    assert refusal(sender, "read") is not None


def test_only_tokens_may_act_for_someone_else_and_it_is_recorded_so():
    admin = Principal(kind=PrincipalKind.ADMIN, name="ops-bot", role=Role.ADMIN)
    assert admin.actor("minsu") == "ops-bot on behalf of minsu"
    assert admin.actor(None) == "ops-bot"
    assert person("jiyoung", Role.ADMIN).actor("minsu") == "jiyoung"
