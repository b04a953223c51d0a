"""API tokens through the real gateway (docs/security.md, "Tokens"): an admin creates, lists and revokes them over
`/api/tokens`; a personal token acts as its person; a service token feeds incidents but reads and decides nothing;
a revoked or expired token is refused from the very next request; repeated failures from one address are 429."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.identity.principal import PrincipalKind
from service import tokens
from testkit.gateway import TOKEN, address_of, alertmanager_group, example, served
from testkit.helpers import running_worker
from testkit.polling import wait_until


@pytest.fixture
async def stack(time_env, task_queue, recorder):
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue) as gateway:
            yield gateway


@pytest.fixture
def gateway(time_env, task_queue):
    with served(address_of(time_env.client), task_queue) as served_gateway:
        yield served_gateway


async def create(gateway, **request) -> dict:
    async with gateway.http() as admin:
        answer = await admin.post("/api/tokens", json=request)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_admin_creates_lists_and_revokes_and_a_revoked_token_stops_at_once(gateway):
    issued = await create(gateway, name="jiyoung laptop", kind="person", person="jiyoung", expires_in="90d")
    assert issued["secret"].startswith(f"ift_{issued['id']}_") and issued["kind"] == "person"
    async with gateway.http(issued["secret"]) as person, gateway.http() as admin:
        assert (await person.get("/api/incidents/inc-none")).status_code == 404  # let in, and nothing there
        refused = await person.get("/api/tokens")
        assert refused.status_code == 403 and "tokens needs admin" in refused.json()["detail"], refused.text
        listing = await admin.get("/api/tokens")
        assert listing.status_code == 200
        assert [(t["id"], t["name"], t["state"]) for t in listing.json()] == [
            (issued["id"], "jiyoung laptop", "active")]
        assert issued["secret"].split("_", 2)[2] not in listing.text and "secret" not in listing.text
        assert listing.json()[0]["last_used_at"] is not None

        assert (await admin.delete(f"/api/tokens/{issued['id']}")).status_code == 204
        after = await person.get("/api/incidents/inc-none")
        assert after.status_code == 401 and after.json() == {"detail": "invalid bearer token"}
        assert (await admin.delete("/api/tokens/000000000000")).status_code == 404
        bad = await admin.post("/api/tokens", json={"name": "x", "kind": "person", "person": "mallory"})
        assert bad.status_code == 422 and "not one of the people" in bad.json()["detail"]


async def test_an_expired_token_is_refused_on_the_next_request(gateway):
    ledger = gateway.app.state.gateway.ledger()
    now = datetime.now(UTC)
    soon = tokens.issue(ledger, name="short-lived", kind=PrincipalKind.ADMIN, now=now - timedelta(hours=1),
                        expires_at=now + timedelta(milliseconds=700))
    async with gateway.http(soon.secret) as http:
        assert (await http.get("/api/tokens")).status_code == 200
        await asyncio.sleep(max(0.0, (soon.expires_at - datetime.now(UTC)).total_seconds()))
        assert (await http.get("/api/tokens")).status_code == 401
    listed = {t.id: t.state for t in tokens.tokens(ledger)}
    assert listed == {soon.id: "expired"}


async def test_a_personal_token_acts_as_its_person_whatever_by_says(stack):
    issued = await create(stack, name="jiyoung cli", kind="person", person="jiyoung")
    async with stack.http(issued["secret"]) as http:
        declared = await http.post("/api/incidents", json={"service": "friends", "severity": "sev3",
                                                           "title": "Friend list slow", "by": "minsu"})
        assert declared.status_code == 201, declared.text
        incident = declared.json()["id"]
        shown = await wait_until(lambda: _shown(http, incident), "the declared incident")
        assert shown["declared_by"] == "jiyoung"
        ack = await http.post(f"/api/incidents/{incident}/decisions", json={"kind": "acknowledge", "by": "minsu"})
        assert ack.status_code == 200, ack.text
        assert ack.json()["text"] == "jiyoung acknowledged"
        timeline = (await http.get(f"/api/incidents/{incident}")).json()["timeline"]
        assert timeline[-1]["actor"] == "jiyoung", timeline[-1]


async def _shown(http, incident: str) -> dict | None:
    answer = await http.get(f"/api/incidents/{incident}")
    return answer.json() if answer.status_code == 200 else None


async def test_a_service_token_feeds_incidents_but_reads_and_decides_nothing(stack):
    issued = await create(stack, name="alertmanager", kind="service")
    async with stack.http(issued["secret"]) as sender:
        alert = await sender.post("/webhooks/alertmanager", json=alertmanager_group(f"svc-{uuid.uuid4().hex}"))
        assert alert.status_code == 200 and alert.json()["started"], alert.text
        event = {**example("pagerduty-trigger.json"), "dedup_key": f"pd-{uuid.uuid4().hex}"}
        enqueued = await sender.post("/v2/enqueue", json=event)
        assert enqueued.status_code == 202, enqueued.text
        declared = await sender.post("/api/incidents", json={"service": "payments", "severity": "sev2",
                                                             "title": "Card payments failing", "by": "minsu"})
        assert declared.status_code == 201, declared.text
        incident = alert.json()["incident_id"]
        for refused in (await sender.get("/api/incidents"), await sender.get(f"/api/incidents/{incident}"),
                        await sender.get("/api/tokens"),
                        await sender.post(f"/api/incidents/{incident}/decisions",
                                          json={"kind": "acknowledge", "by": "minsu"})):
            assert refused.status_code == 403, refused.text
            assert "alertmanager is a service token" in refused.json()["detail"]
    async with stack.http() as admin:
        shown = await wait_until(lambda: _shown(admin, declared.json()["id"]), "the declared incident")
    assert shown["declared_by"] == "alertmanager on behalf of minsu"


async def test_repeated_failures_from_one_address_are_429_until_the_window_passes(time_env, task_queue):
    with served(address_of(time_env.client), task_queue, gateway_auth_failure_limit=3,
                gateway_auth_failure_window_seconds=2) as gateway:
        async with gateway.http() as good, gateway.http("wrong-token") as wrong, _from("127.0.0.2", gateway) as other:
            assert [(await good.get("/api/tokens")).status_code for _ in range(6)] == [200] * 6  # never counted
            assert [(await wrong.get("/api/tokens")).status_code for _ in range(3)] == [401] * 3
            slowed = await good.get("/api/tokens")  # the address is slowed, whatever it sends now
            assert slowed.status_code == 429, slowed.text
            retry_after = int(slowed.headers["Retry-After"])
            assert 1 <= retry_after <= 2 and "too many failed authentications" in slowed.json()["detail"]
            assert (await wrong.post("/webhooks/alertmanager", json={})).status_code == 429
            assert (await other.get("/api/tokens")).status_code == 200  # another address is not
            assert gateway.metric("incidentflow_gateway_rejects_total", reason="auth_throttled") == 2
            await asyncio.sleep(retry_after)
            assert (await good.get("/api/tokens")).status_code == 200


def _from(address: str, gateway) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30,
                             transport=httpx.AsyncHTTPTransport(local_address=address))
