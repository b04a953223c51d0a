"""Roles enforced at the REST API and every action audited (docs/security.md, "Roles and the audit log"), over
real loopback HTTP with a worker on the time-skipping server: personal tokens act as their person whatever `by`
says, a viewer and a service token are refused (403, audited), the IC commands their own incident only, the
shared token is recorded "api-token on behalf of X", and `GET /api/audit` / `incident audit` show it all."""

import asyncio
import json
import os

import pytest

from adapters.stores.ledger import open_ledger
from domain.identity.roles import Role
from service import tokens
from testkit.gateway import ServedGateway
from testkit.helpers import incident as incident_cli
from testkit.polling import wait_until

pytestmark = pytest.mark.slow


def _token(gateway: ServedGateway, name: str, kind: str, person: str | None = None, role: Role | None = None) -> str:
    """A token issued in the gateway's ledger, where the gateway looks tokens up."""
    return tokens.issue(open_ledger(gateway.settings.database_url), name=name, kind=kind, person=person,
                        role=role).secret


def _cli_env(gateway: ServedGateway) -> dict[str, str]:
    """The `incident` command on the gateway's ledger and Temporal."""
    return {**os.environ, "INCIDENTFLOW_DATABASE_URL": gateway.settings.database_url,
            "TEMPORAL_ADDRESS": gateway.settings.temporal_address}


async def _declare(http, title: str) -> str:
    declared = await http.post("/api/incidents", json={"service": "shop", "severity": "sev3", "title": title,
                                                       "by": "minsu"})
    assert declared.status_code == 201, declared.text
    incident = declared.json()["id"]
    await wait_until(lambda: _started(http, incident), f"{incident} to start")
    return incident


async def _started(http, incident: str) -> dict | None:
    shown = await http.get(f"/api/incidents/{incident}")
    return shown.json() if shown.status_code == 200 else None


async def _decide(gateway: ServedGateway, token: str | None, incident: str, **decision):
    async with gateway.http(token) if token else gateway.http() as http:
        return await http.post(f"/api/incidents/{incident}/decisions", json=decision)


async def test_roles_decide_who_may_act_and_the_real_actor_is_recorded(alert_gateway):
    viewer = _token(alert_gateway, "hyunwoo-readonly", "person", person="hyunwoo", role=Role.VIEWER)
    jiyoung = _token(alert_gateway, "jiyoung-laptop", "person", person="jiyoung")
    async with alert_gateway.http() as http:
        incident = await _declare(http, "Checkout slow")

    # a viewer may read but not acknowledge: 403 with the reason
    async with alert_gateway.http(viewer) as http:
        assert (await http.get(f"/api/incidents/{incident}")).status_code == 200
        refused = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "acknowledge", "by": "minsu"})
        assert refused.status_code == 403
        assert refused.json() == {"detail": "hyunwoo is a viewer: acknowledge needs responder"}
        assert (await http.get("/api/audit")).status_code == 403  # the audit log is for commanders

    # a responder's acknowledge applies, in their own name whatever `by` claims
    acked = await _decide(alert_gateway, jiyoung, incident, kind="acknowledge", by="minsu")
    assert acked.status_code == 200 and acked.json()["text"] == "jiyoung acknowledged"
    async with alert_gateway.http() as http:
        shown = (await http.get(f"/api/incidents/{incident}")).json()
        assert shown["acknowledged_by"] == "jiyoung"
        assert ("decision", "jiyoung") in [(e["kind"], e["actor"]) for e in shown["timeline"]]
        assert shown["declared_by"] == "api-token on behalf of minsu"

        # the shared token acting for someone is recorded as such
        noted = await http.post(f"/api/incidents/{incident}/decisions",
                                json={"kind": "add_note", "text": "rolled back", "by": "minsu"})
        assert noted.status_code == 200, noted.text
        shown = (await http.get(f"/api/incidents/{incident}")).json()
        assert ("note", "api-token on behalf of minsu") in [(e["kind"], e["actor"]) for e in shown["timeline"]]

        refusals = (await http.get("/api/audit", params={"refused": "true"})).json()
        everything = (await http.get("/api/audit", params={"incident": incident})).json()
    assert [(e["actor"], e["principal"], e["action"], e["incident"], e["source"], e["allowed"], e["reason"])
            for e in refusals] == [("hyunwoo", "person", "audit", None, "api", False,
                                    "hyunwoo is a viewer: audit needs commander"),
                                   ("hyunwoo", "person", "acknowledge", incident, "api", False,
                                    "hyunwoo is a viewer: acknowledge needs responder")]
    assert [(e["actor"], e["action"], e["allowed"]) for e in everything] == [
        ("api-token on behalf of minsu", "add_note", True), ("jiyoung", "acknowledge", True),
        ("hyunwoo", "acknowledge", False), ("api-token on behalf of minsu", "declare", True)]

    # `incident audit --refused --json` reads the same log
    env = _cli_env(alert_gateway)
    listed = json.loads((await asyncio.to_thread(incident_cli, env, "audit", "--refused", "--json")).stdout)
    assert [(e["actor"], e["action"], e["allowed"], e["reason"]) for e in listed] == [
        (e["actor"], e["action"], e["allowed"], e["reason"]) for e in refusals]
    table = (await asyncio.to_thread(incident_cli, {**env, "COLUMNS": "250"}, "audit", "--actor", "minsu")).stdout
    assert "api-token on behalf of minsu" in table and "hyunwoo" not in table


async def test_the_ic_commands_their_own_incident_only(alert_gateway):
    hyunwoo = _token(alert_gateway, "hyunwoo-laptop", "person", person="hyunwoo")  # a responder
    async with alert_gateway.http() as http:
        theirs = await _declare(http, "Login errors")
        other = await _declare(http, "Friend list slow")
        assigned = await http.post(f"/api/incidents/{theirs}/decisions",
                                   json={"kind": "assign_role", "role": "ic", "to": "hyunwoo", "by": "minsu"})
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["role_name"] == "Incident Commander (IC)"  # shown to hyunwoo with the duties
        assert assigned.json()["duties"][0] == "인시던트 상황 파악 및 우선순위 결정"

    raised = await _decide(alert_gateway, hyunwoo, theirs, kind="set_severity", severity="sev2", by="hyunwoo")
    assert raised.status_code == 200, raised.text
    refused = await _decide(alert_gateway, hyunwoo, other, kind="set_severity", severity="sev2", by="hyunwoo")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "hyunwoo is a responder: set severity needs commander"}
    async with alert_gateway.http() as http:
        assert (await http.get(f"/api/incidents/{theirs}")).json()["severity"] == "sev2"
        assert (await http.get(f"/api/incidents/{other}")).json()["severity"] == "sev3"
        audited = (await http.get("/api/audit", params={"actor": "hyunwoo", "action": "set_severity"})).json()
    assert [(e["incident"], e["allowed"]) for e in audited] == [(other, False), (theirs, True)]


async def test_a_service_token_may_declare_but_never_decide_or_read(alert_gateway):
    sender = _token(alert_gateway, "alertmanager", "service")
    async with alert_gateway.http(sender) as http:
        declared = await http.post("/api/incidents", json={"service": "shop", "severity": "sev3",
                                                           "title": "Cart errors", "by": "minsu"})
        assert declared.status_code == 201, declared.text
        incident = declared.json()["id"]
        refused = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "resolve", "by": "minsu"})
        assert refused.status_code == 403
        assert refused.json()["detail"] == ("alertmanager is a service token: it may open and feed incidents, "
                                            "not resolve")
        assert (await http.get(f"/api/incidents/{incident}")).status_code == 403
    async with alert_gateway.http() as http:
        shown = await wait_until(lambda: _started(http, incident), f"{incident} to start")
        audited = (await http.get("/api/audit", params={"incident": incident})).json()
    assert shown["declared_by"] == "alertmanager on behalf of minsu" and shown["phase"] == "detected"
    assert [(e["actor"], e["principal"], e["action"], e["allowed"]) for e in audited] == [
        ("alertmanager", "service", "read", False), ("alertmanager on behalf of minsu", "service", "resolve", False),
        ("alertmanager on behalf of minsu", "service", "declare", True)]


async def test_the_cli_acts_as_its_by_and_is_audited_from_the_cli(alert_gateway):
    async with alert_gateway.http() as http:
        incident = await _declare(http, "Search slow")
    env = {**_cli_env(alert_gateway), "LOGNAME": "ops-laptop", "USER": "ops-laptop"}
    await asyncio.to_thread(incident_cli, env, "ack", incident, "--by", "seoyeon")
    async with alert_gateway.http() as http:
        shown = (await http.get(f"/api/incidents/{incident}")).json()
        audited = (await http.get("/api/audit", params={"source": "cli"})).json()
    assert shown["acknowledged_by"] == "seoyeon"
    assert [(e["actor"], e["principal"], e["principal_name"], e["action"], e["incident"], e["allowed"])
            for e in audited] == [("seoyeon", "admin", "ops-laptop", "acknowledge", incident, True)]


async def test_filters_are_checked_and_documented(alert_gateway):
    async with alert_gateway.http() as http:
        bad_since = await http.get("/api/audit", params={"since": "yesterday"})
        bad_limit = await http.get("/api/audit", params={"limit": "0"})
        spec = (await http.get("/openapi.json")).json()
    assert bad_since.status_code == 422 and "since" in bad_since.text
    assert bad_limit.status_code == 422
    parameters = {p["name"] for p in spec["paths"]["/api/audit"]["get"]["parameters"]}
    assert {"incident", "actor", "action", "refused", "since", "source", "limit"} <= parameters
    assert "403" in spec["paths"]["/api/incidents/{incident}/decisions"]["post"]["responses"]
