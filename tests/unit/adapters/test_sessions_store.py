"""Browser sessions in the ledger (adapters/stores/sessions.py, gateway/sessions.py; docs/security.md, "Logging
in"): only a hash of the cookie's id is stored, an expired or closed session is nobody, and the CSRF token belongs
to one session."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from adapters.stores import ledger_schema as t
from adapters.stores.sessions import SessionRecords
from domain.identity.principal import Principal, PrincipalKind, Source
from domain.identity.roles import Role
from gateway.sessions import Sessions, csrf_token, session_id_of


def stored_rows(ledger) -> list[dict]:
    with ledger.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t.browser_sessions)).mappings()]


async def test_a_session_is_its_person_until_it_is_closed_and_only_its_hash_is_stored(ledger):
    sessions = Sessions(lambda: ledger.engine, timedelta(hours=1), secure=None)
    session_id = await sessions.open("minsu", Role.RESPONDER, "oidc")
    other = await sessions.open("jiyoung", Role.ADMIN, "dev")
    assert await sessions.principal(session_id) == Principal(kind=PrincipalKind.PERSON, name="minsu",
                                                             role=Role.RESPONDER, source=Source.CONSOLE)
    assert (await sessions.principal(other.encode())).name == "jiyoung"  # the Lookup gets bytes
    rows = stored_rows(ledger)
    assert len(rows) == 2 and all(session_id not in str(row.values()) for row in rows)
    assert {row["via"] for row in rows} == {"oidc", "dev"}

    assert await sessions.close(session_id) is True
    assert await sessions.principal(session_id) is None
    assert await sessions.close(session_id) is False
    assert (await sessions.principal(other)).name == "jiyoung"  # closing one leaves the others
    assert await sessions.principal("never-issued") is None


async def test_an_expired_session_is_nobody_and_is_deleted_at_the_next_login(ledger):
    records = SessionRecords(ledger.engine)
    now = datetime.now(UTC)
    sessions = Sessions(lambda: ledger.engine, timedelta(hours=1), secure=None)
    session_id = await sessions.open("minsu", Role.RESPONDER, "oidc")
    with ledger.engine.begin() as conn:
        conn.execute(t.browser_sessions.update().values(expires_at=now - timedelta(seconds=1)))
    assert await sessions.principal(session_id) is None
    assert records.delete_expired(now - timedelta(hours=1)) == 0
    await sessions.open("jiyoung", Role.RESPONDER, "oidc")
    assert [row["person"] for row in stored_rows(ledger)] == ["jiyoung"]


async def test_a_person_removed_from_the_policy_is_nobody_at_once(ledger, policy):
    current = {"policy": policy}
    sessions = Sessions(lambda: ledger.engine, timedelta(hours=1), secure=None, policy=lambda: current["policy"])
    session_id = await sessions.open("minsu", Role.RESPONDER, "oidc")
    assert (await sessions.principal(session_id)).name == "minsu"
    people = {k: v for k, v in policy.oncall.people.items() if k != "minsu"}
    current["policy"] = policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"people": people})})
    assert await sessions.principal(session_id) is None


def test_the_csrf_token_is_the_sessions_own_and_the_cookie_is_found_among_others():
    assert csrf_token("session-a") == csrf_token("session-a") != csrf_token("session-b")
    assert "session-a" not in csrf_token("session-a")
    cookie = b'_session=abc; _session.sig="x,y"; incidentflow_session=the-id; theme=dark'
    assert session_id_of({"cookie": cookie}) == "the-id"
    assert session_id_of({"cookie": b"incidentflow_session="}) is None
    assert session_id_of({}) is None


@pytest.mark.parametrize("secure, scheme, expected", [(True, "http", True), (False, "https", False),
                                                      (None, "https", True), (None, "http", False)])
def test_the_cookie_is_httponly_lax_and_secure_when_served_over_https(secure, scheme, expected):
    sessions = Sessions(lambda: None, timedelta(hours=2), secure)
    request = Request({"type": "http", "scheme": scheme, "server": ("incidents.example", 443), "path": "/",
                       "headers": []})
    response = Response()
    sessions.set_cookie(request, response, "the-id")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("incidentflow_session=the-id;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=7200" in cookie and "Path=/" in cookie
    assert ("Secure" in cookie) is expected
