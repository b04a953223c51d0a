"""`/api/incidents/{id}/postmortem` and the action items through the real gateway (docs/learning-loop.md,
"Drafts"): read the draft with its version and the sections still holding template text, save from a version
(a stale one is 409), publish (template text left is 409 naming the sections; force publishes and closes the
incident), add an action item (an unknown owner is 422), done, verify; a viewer may read, not write (403,
audited); everything is in the OpenAPI document."""

import pytest

from activities.learning import LedgerActivities
from adapters.stores.ledger import open_ledger
from domain.incident import decisions as d
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from testkit.gateway import address_of, served
from testkit.helpers import start_incident
from testkit.postmortems import postmortem_of
from worker import build_worker
from workflows.incident import IncidentWorkflow


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


async def test_the_postmortem_and_its_action_items_over_the_api(time_env, task_queue, recorder, database_url,
                                                                 tmp_path):
    learning = LedgerActivities(open_ledger(database_url), tmp_path)
    async with build_worker(time_env.client, task_queue, [recorder], learning=learning):
        handle = await start_incident(time_env.client, task_queue, severity=Severity.SEV1)
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="jiyoung"))
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="jiyoung", summary="bad deploy rolled back"))
        state, _ = await postmortem_of(time_env, handle)
        path = f"/api/incidents/{state.id}/postmortem"
        with served(address_of(time_env.client), task_queue, database_url=database_url) as gateway:
            jiyoung = await gateway.personal_token("jiyoung")
            viewer = await gateway.personal_token("customer-support-lead")
            async with gateway.http(jiyoung) as as_jiyoung, gateway.http(viewer) as as_viewer, gateway.http() as admin:
                shown = (await as_viewer.get(path)).json()
                assert shown["version"] == 1 and shown["status"] == "draft"
                assert "bad deploy rolled back" in shown["markdown"]
                assert shown["template_sections"] == ["Root cause", "What went well", "What went poorly", "5 Whys"]

                refused = await as_viewer.put(path, json={"markdown": "# mine", "version": 1})
                assert refused.status_code == 403 and "postmortem needs responder" in refused.json()["detail"]

                edited = shown["markdown"].replace("## Root cause\n", "## Root cause\nA config push.\n")
                saved = await as_jiyoung.put(path, json={"markdown": edited, "version": 1})
                assert saved.status_code == 200, saved.text
                assert (saved.json()["version"], saved.json()["updated_by"]) == (2, "jiyoung")
                assert saved.json()["template_sections"] == ["What went well", "What went poorly", "5 Whys"]
                stale = await as_jiyoung.put(path, json={"markdown": "# older copy", "version": 1})
                assert stale.status_code == 409 and stale.json()["version"] == 2
                assert "was saved by jiyoung since you opened it" in stale.json()["detail"]

                guarded = await as_jiyoung.post(f"{path}/publish", json={})
                assert guarded.status_code == 409
                assert guarded.json()["sections"] == ["What went well", "What went poorly", "5 Whys"]

                items = f"/api/incidents/{state.id}/action-items"
                unknown = await as_jiyoung.post(items, json={"title": "Canary", "owner": "nobody", "due": "2026-12-01"})
                assert unknown.status_code == 422 and "unknown person 'nobody'" in unknown.json()["detail"]
                bad_date = await as_jiyoung.post(items, json={"title": "Canary", "owner": "minsu", "due": "12/01"})
                assert bad_date.status_code == 422
                added = await as_jiyoung.post(items, json={"title": "Canary for payment deploys", "owner": "minsu",
                                                           "due": "2026-12-01", "term": "short"})
                assert added.status_code == 201, added.text
                item = added.json()["id"]
                assert [i["title"] for i in (await as_viewer.get(items)).json()] == ["Canary for payment deploys"]
                early = await as_jiyoung.post(f"/api/action-items/{item}/verify", json={"evidence": "a drill"})
                assert early.status_code == 422 and "is not done yet" in early.json()["detail"]
                done = await as_jiyoung.post(f"/api/action-items/{item}/done")
                assert (done.status_code, done.json()["done_by"]) == (200, "jiyoung")
                verified = await as_jiyoung.post(f"/api/action-items/{item}/verify", json={"evidence": "drill 12-03"})
                assert verified.json()["evidence"] == "drill 12-03"

                published = await as_jiyoung.post(f"{path}/publish", json={"force": True, "root_cause": "deploy"})
                assert published.status_code == 200, published.text
                assert published.json()["published_by"] == "jiyoung" and "A config push." in published.json()[
                    "markdown"]
                assert (await handle.result()).phase == Phase.CLOSED
                again = await as_jiyoung.post(f"{path}/publish", json={"force": True})
                assert again.status_code == 409 and "already published by jiyoung" in again.json()["detail"]

                audit = (await admin.get("/api/audit", params={"action": "postmortem"})).json()
                assert ("customer-support-lead", False) in {(e["actor"], e["allowed"]) for e in audit}
                spec = (await admin.get("/openapi.json")).json()
    assert {"get", "put"} <= set(spec["paths"]["/api/incidents/{incident}/postmortem"])
    for route in ("/api/incidents/{incident}/postmortem/publish", "/api/action-items/{action_id}/done",
                  "/api/action-items/{action_id}/verify"):
        assert "post" in spec["paths"][route]
    assert "409" in spec["paths"]["/api/incidents/{incident}/postmortem"]["put"]["responses"]
