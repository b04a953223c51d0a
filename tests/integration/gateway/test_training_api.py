"""`/api/training` and `/api/readiness` through the real gateway (docs/oncall.md, "Training", "Readiness"): a
commander records a completion, a responder may read but not record (403, audited), and the readiness report
answers with each item and why."""

import json

import pytest

from testkit.gateway import served_without_runbook_endpoints


@pytest.fixture
def gateway(time_env, task_queue):
    with served_without_runbook_endpoints(time_env, task_queue) as served_gateway:
        yield served_gateway


async def personal_token(gateway, person: str) -> str:
    async with gateway.http() as admin:
        issued = await admin.post("/api/tokens", json={"name": person, "kind": "person", "person": person})
    assert issued.status_code == 201, issued.text
    return issued.json()["secret"]


async def test_a_commander_records_training_a_responder_only_reads_it(gateway):
    lead, responder = await personal_token(gateway, "sre-lead"), await personal_token(gateway, "jiyoung")
    async with gateway.http(lead) as as_lead, gateway.http(responder) as as_responder:
        recorded = await as_lead.post("/api/training", json={"person": "jiyoung", "kind": "onboarding",
                                                             "completed_at": "2026-11-02T10:00+09:00"})
        assert recorded.status_code == 201, recorded.text
        assert {k: recorded.json()[k] for k in ("person", "kind", "hours", "recorded_by")} == {
            "person": "jiyoung", "kind": "onboarding", "hours": 4.0, "recorded_by": "sre-lead"}

        refused = await as_responder.post("/api/training", json={"person": "jiyoung", "kind": "advanced"})
        assert refused.status_code == 403 and "training needs commander" in refused.json()["detail"], refused.text
        unknown = await as_lead.post("/api/training", json={"person": "mallory", "kind": "drill"})
        assert unknown.status_code == 422 and "'mallory' is not listed under people" in unknown.json()["detail"]

        listed = await as_responder.get("/api/training", params={"person": "jiyoung"})
        assert listed.status_code == 200
        assert [(r["kind"], r["completed_at"]) for r in listed.json()] == [("onboarding", "2026-11-02T01:00:00Z")]


async def test_readiness_answers_each_item_with_why(gateway):
    async with gateway.http() as admin:
        answer = await admin.get("/api/readiness")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    items = {i["id"]: i for i in report["items"]}
    assert report["ready"] is False and set(items) == {"rotation", "escalation", "tools", "training", "documents",
                                                       "drill"}
    assert "slack: not configured (INCIDENTFLOW_SLACK_BOT_TOKEN unset)" in items["tools"]["why"]
    assert "unreachable" in items["tools"]["why"] and items["drill"]["why"] == "no drill recorded this quarter"
    assert json.dumps(report)  # plain JSON, as `incident readiness --json` prints it
