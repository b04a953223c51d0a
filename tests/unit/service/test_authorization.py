"""`authorize` and `acting` (service/authorization.py) on a real ledger: a refusal raises Forbidden and is in the
audit log with its reason, a permitted state change is audited when asked, the IC commands their own incident
only, and a decision names who really acts."""

from datetime import UTC, datetime

import pytest

from domain.common.limits import ACTOR_MAX
from domain.identity.principal import Principal, PrincipalKind, Source
from domain.identity.roles import Role
from domain.incident import decisions as d
from domain.incident.severity import Severity
from domain.incident.state import IncidentState, Roles
from service import audit
from service.authorization import acting, authorize, local_operator
from service.errors import Forbidden, ServiceError

T0 = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
SHARED = Principal(kind=PrincipalKind.ADMIN, name="api-token", role=Role.ADMIN)


def person(name: str, role: Role, source: Source = Source.API) -> Principal:
    return Principal(kind=PrincipalKind.PERSON, name=name, role=role, source=source)


def incident(incident_id: str, ic: str | None = None) -> IncidentState:
    return IncidentState(id=incident_id, title="Payments down", service="payments", severity=Severity.SEV1,
                         declared_by="minsu", started_at=T0, detected_at=T0, roles=Roles(ic=ic))


def test_a_refusal_is_forbidden_with_its_reason_and_audited(ledger):
    with pytest.raises(Forbidden, match="^hyunwoo is a viewer: acknowledge needs responder$") as refused:
        authorize(person("hyunwoo", Role.VIEWER, Source.SLACK), "acknowledge", incident("inc-1"), ledger=ledger)
    assert isinstance(refused.value, ServiceError) and refused.value.reason == str(refused.value)
    (entry,) = audit.entries(ledger)
    assert entry.model_dump(exclude={"at"}) == {
        "actor": "hyunwoo", "principal": PrincipalKind.PERSON, "principal_name": "hyunwoo",
        "action": "acknowledge", "incident": "inc-1",
        "source": Source.SLACK, "allowed": False, "reason": "hyunwoo is a viewer: acknowledge needs responder"}


def test_a_permitted_read_is_not_audited_a_permitted_change_is_when_asked(ledger):
    authorize(person("hyunwoo", Role.VIEWER), "read", incident="inc-1", ledger=ledger)
    assert audit.entries(ledger) == []
    authorize(SHARED, "acknowledge", incident="inc-1", actor="api-token on behalf of minsu", ledger=ledger,
              audit_allowed=True)
    (entry,) = audit.entries(ledger)
    assert (entry.actor, entry.principal, entry.allowed, entry.reason) == (
        "api-token on behalf of minsu", PrincipalKind.ADMIN, True, None)


def test_the_ic_commands_their_own_incident_and_no_other(ledger):
    hyunwoo = person("hyunwoo", Role.RESPONDER)
    authorize(hyunwoo, "set_severity", incident("mine", ic="hyunwoo"), ledger=ledger)
    with pytest.raises(Forbidden, match="hyunwoo is a responder: set severity needs commander"):
        authorize(hyunwoo, "set_severity", incident("theirs", ic="jiyoung"), ledger=ledger)
    assert [(e.incident, e.allowed) for e in audit.entries(ledger)] == [("theirs", False)]


def test_a_service_token_never_decides_but_may_declare(ledger):
    sender = Principal(kind=PrincipalKind.SERVICE, name="alertmanager", role=Role.VIEWER)
    authorize(sender, "declare", ledger=ledger)
    with pytest.raises(Forbidden, match="alertmanager is a service token"):
        authorize(sender, "resolve", incident("inc-1"), ledger=ledger)
    assert [(e.action, e.principal, e.allowed) for e in audit.entries(ledger)] == [
        ("resolve", PrincipalKind.SERVICE, False)]


def test_acting_names_the_real_actor():
    claimed = d.Acknowledge(by="minsu")
    assert acting(person("jiyoung", Role.RESPONDER), claimed, claimed_by=claimed.by).by == "jiyoung"
    on_behalf = acting(SHARED, claimed, claimed_by="minsu")
    assert (on_behalf.by, on_behalf.via) == ("minsu", "api-token")  # the timeline: "api-token on behalf of minsu"
    assert (acting(SHARED, claimed).by, acting(SHARED, claimed).via) == ("api-token", None)
    forged = d.Acknowledge(by="minsu", via="cto")
    assert acting(person("jiyoung", Role.RESPONDER), forged, claimed_by="minsu").via is None  # never the sender's
    assert claimed.by == "minsu"  # a copy: the decision given is left as it was
    long_name = "x" * (ACTOR_MAX + 5)
    stated = acting(SHARED, d.AddNote(text="hi", by="minsu"), claimed_by=long_name)
    assert len(stated.by) == ACTOR_MAX and stated.by.startswith("xxx")
    assert d.DECISION_ADAPTER.validate_python(stated.model_dump()).by == stated.by  # still a valid decision


def test_the_local_cli_is_an_admin_named_after_the_os_user(monkeypatch):
    monkeypatch.setenv("LOGNAME", "ops-laptop")
    operator = local_operator()
    assert (operator.kind, operator.name, operator.role, operator.source) == (
        PrincipalKind.ADMIN, "ops-laptop", Role.ADMIN, Source.CLI)


def test_an_unwritable_audit_log_neither_blocks_a_permitted_action_nor_lets_a_refused_one_through():
    def unreachable():
        raise OSError("connection refused")

    authorize(SHARED, "close", incident="inc-1", ledger=unreachable, audit_allowed=True)
    with pytest.raises(Forbidden):
        authorize(person("hyunwoo", Role.VIEWER), "close", incident="inc-1", ledger=unreachable)
