"""Statuspage subscribers get the policy's `external_update` text: title, what happened, status, next update."""

from domain.comms.view import AUTOMATIC_MESSAGES
from domain.incident import decisions as d
from domain.incident.severity import Severity
from testkit.comms import comms_settings, comms_worker
from testkit.fakes.statuspage import FakeStatuspage
from testkit.helpers import start_incident
from testkit.polling import wait_until
from workflows.incident import IncidentWorkflow


async def test_statuspage_updates_follow_the_policy_template(time_env, task_queue, tmp_path):
    with FakeStatuspage("pg1", "sp-key") as fake:
        settings = comms_settings(tmp_path, statuspage_api_url=fake.api_url, statuspage_page_id="pg1",
                                  statuspage_api_key="sp-key")
        async with comms_worker(time_env.client, task_queue, settings):
            handle = await start_incident(time_env.client, task_queue, Severity.SEV0, service="game-servers",
                                          title="Game servers down")
            await wait_until(lambda: fake.processed("POST"), "the Statuspage incident")
            await handle.execute_update(IncidentWorkflow.decide, d.PostUpdate(
                by="seoyeon", status="identified", message="설정 배포 롤백 중 (rolling back a config push)"))
            await wait_until(lambda: fake.processed("PATCH"), "the PATCH")
            await handle.terminate("test over")

    created = fake.processed("POST")[0].body["body"].splitlines()
    assert created[0] == "Game servers down"
    assert created[1] == "What happened: " + AUTOMATIC_MESSAGES["investigating"].format(service="game-servers")
    assert created[2] == "Current status: investigating"
    assert created[3].startswith("Next update by: ") and created[3].endswith("KST")
    [incident] = fake.incidents.values()
    latest = fake.updates(incident)[-1]
    assert latest[0] == "identified"
    assert latest[1].splitlines()[1:3] == ["What happened: 설정 배포 롤백 중 (rolling back a config push)",
                                           "Current status: identified"]
