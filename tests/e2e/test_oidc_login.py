"""A person logs in through a real OpenID provider (the certified oidc-provider under Node, on loopback) with the
authorization code and PKCE, as a browser would: redirects followed, the provider's login form posted, back to
/auth/callback with the cookie jar. Then they acknowledge and resolve an incident with their session cookie and
its CSRF token, and the timeline names them (docs/security.md, "Logging in")."""

import asyncio
import os

import httpx
import pytest

from adapters.stores.ledger import open_ledger
from service import audit
from testkit.gateway import address_of, served
from testkit.helpers import running_worker
from testkit.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, first_form, missing
from testkit.polling import wait_until


@pytest.fixture
def oidc_provider():
    reason = missing()
    if reason is not None and os.environ.get("INCIDENTFLOW_REQUIRE_OIDC") == "1":
        pytest.fail(f"INCIDENTFLOW_REQUIRE_OIDC=1 but {reason}")
    if reason is not None:
        pytest.skip(reason)
    provider = OidcProvider()
    yield provider
    provider.stop()


@pytest.fixture
async def login_stack(time_env, task_queue, recorder, oidc_provider):
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue, oidc_issuer_url=oidc_provider.issuer,
                    oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET) as gateway:
            oidc_provider.start(redirect_uri=f"{gateway.url}/auth/callback")
            yield gateway


def browser(gateway) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gateway.url, follow_redirects=True, timeout=30)


async def log_in(http: httpx.AsyncClient, login: str) -> httpx.Response:
    """GET /auth/login → the provider's login page; post its form → back at /auth/callback → /auth/me."""
    page = await http.get("/auth/login")
    assert page.status_code == 200 and "<form" in page.text, page.text
    action, fields = first_form(page)
    return await http.post(action, data={**fields, "login": login, "password": "any"})


async def test_a_person_logs_in_acknowledges_and_resolves_and_the_timeline_names_them(login_stack, time_env):
    gateway = login_stack
    async with gateway.http() as admin:
        declared = await admin.post("/api/incidents", json={"service": "payments", "severity": "sev2",
                                                            "title": "Checkout errors", "by": "tester"})
        assert declared.status_code == 201, declared.text
    incident = declared.json()["id"]

    async with browser(gateway) as http:
        me = await log_in(http, "minsu.kim")
        assert me.status_code == 200, me.text
        assert str(me.url) == f"{gateway.url}/auth/me"
        assert me.json()["person"] == "minsu" and me.json()["role"] == "responder"
        assert me.json()["source"] == "console"
        csrf = me.json()["csrf_token"]
        cookie = http.cookies.get("incidentflow_session", domain="127.0.0.1")
        login_answer = me.history[-1]
        assert login_answer.headers["X-CSRF-Token"] == csrf
        set_cookie = login_answer.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" not in set_cookie  # http here

        decisions = f"/api/incidents/{incident}/decisions"
        no_csrf = await http.post(decisions, json={"kind": "acknowledge", "by": "minsu"})
        assert no_csrf.status_code == 403 and "X-CSRF-TOKEN" in no_csrf.json()["detail"]
        wrong_csrf = await http.post(decisions, json={"kind": "acknowledge", "by": "minsu"},
                                     headers={"X-CSRF-Token": "0" * 64})
        assert wrong_csrf.status_code == 403
        for kind in ("acknowledge", "resolve"):
            done = await http.post(decisions, json={"kind": kind, "by": "someone-else"}, headers={"X-CSRF-Token": csrf})
            assert done.status_code == 200, done.text

        async def resolved():
            shown = (await http.get(f"/api/incidents/{incident}")).json()  # a GET needs no CSRF token
            return shown if shown["resolved_at"] else None

        state = await wait_until(resolved, f"{incident} resolved")
        assert state["acknowledged_by"] == "minsu"
        decided = [(e["actor"], e["text"]) for e in state["timeline"] if e["kind"] == "decision"]
        assert decided == [("minsu", "minsu acknowledged"), ("minsu", "minsu resolved the incident")], decided

        async def in_ledger():  # the worker's ledger (its default one here) records the timeline as it goes
            rows = await asyncio.to_thread(open_ledger().timeline, incident)
            decided = [(r["actor"], r["text"]) for r in rows if r["kind"] == "decision"]
            return decided if len(decided) == 2 else None

        assert await wait_until(in_ledger, "both decisions in the ledger") == [
            ("minsu", "minsu acknowledged"), ("minsu", "minsu resolved the incident")]
        audited = audit.entries(gateway.app.state.gateway.ledger(), incident=incident, actor="minsu")
        assert {(e.action, e.source, e.allowed) for e in audited} >= {("acknowledge", "console", True),
                                                                      ("resolve", "console", True)}, audited

        logged_out = await http.post("/auth/logout", headers={"X-CSRF-Token": csrf})
        assert logged_out.status_code == 204
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as replay:
        replay.cookies.set("incidentflow_session", cookie)
        assert (await replay.get(f"/api/incidents/{incident}")).status_code == 401
        assert (await replay.get("/auth/me")).status_code == 401


async def test_a_person_the_policy_does_not_know_is_refused_at_the_callback(login_stack):
    async with browser(login_stack) as http:
        refused = await log_in(http, "stranger@elsewhere.example")
        assert refused.status_code == 403
        assert str(refused.url).startswith(f"{login_stack.url}/auth/callback")
        assert "stranger@elsewhere.example" in refused.text and "none of the people" in refused.text
        assert "incidentflow_session" not in http.cookies
        assert (await http.get("/auth/me")).status_code == 401
        forged = await http.get("/auth/callback", params={"code": "stolen", "state": "not-ours"})
        assert forged.status_code == 400 and "not accepted" in forged.text  # no login of ours has this state


async def test_the_groups_claim_gives_the_role(login_stack):
    async with browser(login_stack) as http:
        me = await log_in(http, "jiyoung.lee")  # in game-sre-admins: the policy maps it to admin
        assert me.json()["person"] == "jiyoung" and me.json()["role"] == "admin"


async def test_the_development_login_picks_a_person_of_the_policy_on_loopback_only(time_env, task_queue, caplog):
    caplog.set_level("INFO", logger="incidentflow.gateway.auth")
    with served(address_of(time_env.client), task_queue, dev_login=True) as gateway:
        async with browser(gateway) as http:
            page = await http.get("/auth/dev-login")
            assert page.status_code == 200 and "Development login — not for production" in page.text
            assert 'value="minsu"' in page.text and "Kim Minsu" in page.text
            assert "form-action 'self'" in page.headers["Content-Security-Policy"]  # a browser may post it
            action, _ = first_form(page)
            assert action == f"{gateway.url}/auth/dev-login"
            me = await http.post(action, data={"person": "sre-lead"})
            assert me.json()["person"] == "sre-lead" and me.json()["role"] == "commander"  # people[].role
            assert (await http.get("/api/incidents/nothing-here")).status_code == 404  # the cookie got in
            nobody = await http.post(action, data={"person": "mallory"})
            assert nobody.status_code == 403
            # back where the person was going (the console), but never to another site
            onward = await http.get("/auth/dev-login", params={"next": "/incidents?phase=triaged"})
            action, fields = first_form(onward)
            assert fields["next"] == "/incidents?phase=triaged"
            landed = await http.post(action, data={**fields, "person": "minsu"}, follow_redirects=False)
            assert landed.status_code == 303 and landed.headers["location"] == "/incidents?phase=triaged"
            elsewhere = await http.get("/auth/dev-login", params={"next": "//evil.example/"})
            assert first_form(elsewhere)[1]["next"] == "/auth/me"
            # uvicorn trusts X-Forwarded-For from loopback: this is what a client behind a local proxy looks like
            remote = await http.get("/auth/dev-login", headers={"X-Forwarded-For": "203.0.113.7"})
            assert remote.status_code == 403 and "loopback clients only" in remote.json()["detail"]
    logged = [r.getMessage() for r in caplog.records if r.name == "incidentflow.gateway.auth"]
    assert any(m.startswith("development login — not for production is on") for m in logged), logged
    assert "development login — not for production: logged in as sre-lead (commander)" in logged


async def test_without_settings_there_is_neither_a_development_nor_an_oidc_login(time_env, task_queue):
    with served(address_of(time_env.client), task_queue) as gateway:
        async with browser(gateway) as http:
            assert (await http.get("/auth/dev-login")).status_code == 404
            assert (await http.post("/auth/dev-login", data={"person": "minsu"})).status_code == 404
            login = await http.get("/auth/login")
            assert login.status_code == 404 and "INCIDENTFLOW_OIDC_ISSUER_URL" in login.json()["detail"]
            assert (await http.get("/auth/me")).status_code == 401
