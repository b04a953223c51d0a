"""`/api/periodic` through the real gateway (docs/learning-loop.md, "Periodic checks"): a commander records a
check done, a responder may read but not record (403, audited), bad input is named, and the list answers with
the current and previous period of each check like `incident periodic list --json`."""

import pytest

from testkit.environment import free_port
from testkit.gateway import address_of, served


@pytest.fixture
def gateway(time_env, task_queue):
    dead = f"http://127.0.0.1:{free_port()}"
    with served(address_of(time_env.client), task_queue,
                runbook_endpoints={"prometheus": dead, "admin_api": dead}) as served_gateway:
        yield served_gateway


async def test_a_commander_records_a_check_a_responder_only_reads(gateway):
    lead, responder = await gateway.personal_token("sre-lead"), await gateway.personal_token("jiyoung")
    async with gateway.http(lead) as as_lead, gateway.http(responder) as as_responder, gateway.http() as admin:
        recorded = await as_lead.post("/api/periodic", json={
            "item": "monthly-review", "period": "2026-11", "notes": "escalation timings unchanged",
            "completed_at": "2026-11-27T16:00+09:00", "by": "minsu"})
        assert recorded.status_code == 201, recorded.text
        assert {k: recorded.json()[k] for k in ("item", "period", "completed_by", "recorded_by", "completed_at")} == {
            "item": "monthly-review", "period": "2026-11", "completed_by": "minsu", "recorded_by": "sre-lead",
            "completed_at": "2026-11-27T07:00:00Z"}

        refused = await as_responder.post("/api/periodic", json={"item": "weekly-stats"})
        assert refused.status_code == 403 and "periodic needs commander" in refused.json()["detail"], refused.text
        for body, problem in [
            ({"item": "monthly-review", "period": "2026-11"}, "monthly-review 2026-11 is already recorded as done by "
                                                              "minsu"),
            ({"item": "weekly"}, "unknown periodic check 'weekly' (the policy's checks: weekly-stats, "),
            ({"item": "annual-plan", "period": "2026-Q4"}, "period '2026-Q4' is not a year"),
            ({"item": "weekly-stats", "completed_at": "2999-01-01T00:00+09:00"}, "lies in the future"),
        ]:
            answer = await as_lead.post("/api/periodic", json=body)
            assert answer.status_code == 422 and problem in answer.json()["detail"], (body, answer.text)
        extra = await as_lead.post("/api/periodic", json={"item": "weekly-stats", "who": "minsu"})
        assert extra.status_code == 422

        listed = await as_responder.get("/api/periodic")
        assert listed.status_code == 200, listed.text
        items = {i["item"]: i for i in listed.json()}
        assert list(items) == ["weekly-stats", "monthly-review", "quarterly-training", "annual-plan"]
        assert items["weekly-stats"]["owner"] == "tertiary" and items["weekly-stats"]["owner_oncall"] == "sre-lead"
        assert {"period", "status", "by", "at", "notes", "start", "end", "remind_at"} <= set(
            items["annual-plan"]["current"])

        audit = (await admin.get("/api/audit", params={"action": "periodic"})).json()
        # the refusal, the recording and the four refused by the service (allowed, then named); an unknown
        # field is turned away before anyone is asked
        assert sorted((e["actor"], e["allowed"]) for e in audit) == [("jiyoung", False)] + [("sre-lead", True)] * 5
        spec = (await admin.get("/openapi.json")).json()
    assert {"get", "post"} <= set(spec["paths"]["/api/periodic"])
    assert "403" in spec["paths"]["/api/periodic"]["post"]["responses"]
    assert "PeriodicRequest" in spec["components"]["schemas"]
