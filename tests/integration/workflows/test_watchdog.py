"""Defence in depth (issue 21): an incident whose workflow task keeps failing, whatever the cause, is listed
as failing by `incident list`/`show` and the REST API, counted in /metrics, and its current primary is paged
once per failure episode by the watchdog, which needs nothing of the broken workflow. The failure is a bug
planted in the real incident workflow (the failures the issue found get fixed at the door, a bug would not
be); everything else is the real worker, gateway, CLI and watchdog on a real Temporal dev server."""

import asyncio
import json
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

import worker
from adapters.stores.ledger import open_ledger
from cli.dev import dev_server_command
from domain.incident.decisions import AddNote
from domain.incident.state import IncidentStart, IncidentState
from observability.server import MetricsServer, serving
from service.watchdog import watching
from testkit.deploy import scrape, value
from testkit.gateway import served
from testkit.helpers import cli, running_worker, start_incident
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

pytestmark = [pytest.mark.slow, pytest.mark.own_dev_server]  # `incident list` sees only these incidents

BUG = "make every workflow task fail"
QUICK = {"interval": timedelta(seconds=0.5), "page_after": timedelta(seconds=2)}


@workflow.defn(name="IncidentWorkflow")
class BuggyIncidentWorkflow(IncidentWorkflow):
    """The real incident workflow with a bug: a declaration titled BUG, or a note reading BUG, raises in
    workflow code, so that workflow task and every retry of it (each replays the same input) fail."""

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        if start.title == BUG:
            raise RuntimeError("planted bug: the declaration")
        return await super().run(start)

    def _apply_signal(self, decision) -> None:
        if isinstance(decision, AddNote) and decision.text == BUG:
            raise RuntimeError("planted bug: a note")
        super()._apply_signal(decision)


@pytest.fixture
def buggy_worker(monkeypatch):
    """build_worker (testkit/helpers.running_worker) registers the buggy workflow in place of the real one."""
    monkeypatch.setattr(worker, "WORKFLOWS", [BuggyIncidentWorkflow if w is IncidentWorkflow else w
                                              for w in worker.WORKFLOWS])


def test_the_dev_server_reports_incidents_whose_workflow_task_keeps_failing(tmp_path):
    """`incident dev` sets what Temporal Cloud does by default: the watchdog's quick sweep relies on it."""
    assert "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2" in dev_server_command(tmp_path, 1, 2)


def watchdog_pages(recorder, incident: str) -> list[dict]:
    return [p for p in recorder.pages() if p["incident_id"].startswith(f"{incident}/failing-")]


def own_pages(recorder, incident: str) -> list[dict]:
    return [p for p in recorder.pages() if p["incident_id"] == incident]


async def page_workflows(client: Client, incident: str) -> list[str]:
    query = f"WorkflowType = 'WatchdogPageWorkflow' AND WorkflowId STARTS_WITH 'watchdog-page-{incident}-'"
    return [e.id async for e in client.list_workflows(query)]


async def failing_gauge(port: int) -> float | None:
    return value(await _scrape(port), "incidentflow_incidents_failing")


async def _scrape(port: int) -> dict:
    return await asyncio.to_thread(scrape, port)


async def terminate_all(client: Client, task_queue: str) -> None:
    async for execution in client.list_workflows(f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"):
        await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("test over")


async def test_an_incident_that_breaks_after_its_first_page_is_listed_failing_counted_and_paged_again(
        dev_server, buggy_worker, task_queue, recorder, monkeypatch):
    client = await Client.connect(dev_server, data_converter=pydantic_data_converter)
    async with (running_worker(client, task_queue, recorder),
                serving(MetricsServer(None, None), "127.0.0.1", 0) as metrics_port):
        with served(dev_server, task_queue) as gateway:
            async with gateway.http() as http:
                declared = await http.post("/api/incidents", json={"service": "payments", "severity": "sev1",
                                                                   "title": "Card payments failing", "by": "minsu"})
                incident = declared.json()["id"]
                [first] = await wait_until(lambda: own_pages(recorder, incident), "the incident's own primary page")
                await wait_until(lambda: open_ledger().snapshot(incident), "the ledger's record of it")
                # After its first sweep (before the bug) this one looks only at what Temporal reports failing.
                async with watching(client, task_queue, full_sweep_every=10**6, **QUICK):
                    await client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident).signal(
                        IncidentWorkflow.submit, AddNote(text=BUG, by="minsu"))
                    [paged] = await wait_until(lambda: watchdog_pages(recorder, incident), "the watchdog's page", 40)
                    assert await failing_gauge(metrics_port) == 1
                    listed = json.loads(await cli(dev_server, "list", "--json"))
                    api_listed = (await http.get("/api/incidents", params={"open": "true"})).json()
                    shown = await http.get(f"/api/incidents/{incident}")
                    monkeypatch.setenv("COLUMNS", "250")
                    table = await cli(dev_server, "list")
                    scraped = (await http.get("/metrics")).text
                # A restarted worker's watchdog (nothing in memory) finds the same episode: no second page.
                async with watching(client, task_queue, **QUICK) as restarted:
                    await wait_until(lambda: restarted.failing, "the restarted watchdog's sweep")
                    await asyncio.sleep(3)  # a few more sweeps
        await terminate_all(client, task_queue)

    # the current primary (the incident's own page went to them a moment ago) is paged again, saying why
    assert paged["tier"] == "primary" and paged["target"] == first["target"]
    assert "keeps failing since" in paged["reason"] and "planted bug: a note" in paged["reason"]
    assert len(watchdog_pages(recorder, incident)) == 1 and len(await page_workflows(client, incident)) == 1
    # incident list / GET /api/incidents: listed, as failing, from the ledger's last record
    [entry] = [i for i in listed if i["id"] == incident]
    assert entry["failing"]["known_from"] == "ledger" and entry["failing"]["failures"] >= 2
    assert "planted bug: a note" in entry["failing"]["cause"]
    assert (entry["title"], entry["severity"], entry["phase"]) == ("Card payments failing", "sev1", "detected")
    assert [i for i in api_listed if i["id"] == incident] == [entry]
    assert shown.status_code == 200 and shown.json()["failing"] == entry["failing"]
    assert shown.json()["title"] == "Card payments failing"
    assert "FAILING incidents" in table and incident in table
    assert "incidentflow_gateway_incidents_failing 1.0" in scraped.splitlines()


async def test_an_incident_broken_from_its_first_task_pages_the_primary_through_a_full_sweep(
        dev_server, buggy_worker, task_queue, recorder):
    """No Temporal report needed: the watchdog's describe sweep finds it."""
    client = await Client.connect(dev_server, data_converter=pydantic_data_converter)
    async with (running_worker(client, task_queue, recorder),
                serving(MetricsServer(None, None), "127.0.0.1", 0) as metrics_port):
        healthy = (await start_incident(client, task_queue, title="Checkout slow")).id.removeprefix(WORKFLOW_ID_PREFIX)
        broken = (await start_incident(client, task_queue, title=BUG)).id.removeprefix(WORKFLOW_ID_PREFIX)
        [primary] = await wait_until(lambda: own_pages(recorder, healthy), "the healthy incident's page")
        async with watching(client, task_queue, full_sweep_every=1, **QUICK):
            [paged] = await wait_until(lambda: watchdog_pages(recorder, broken), "the watchdog's page", 40)
            assert await failing_gauge(metrics_port) == 1
            shown = json.loads(await cli(dev_server, "show", broken, "--json"))
            await client.get_workflow_handle(WORKFLOW_ID_PREFIX + broken).terminate("fixed by hand")
            await wait_until(lambda: _gauge_is(metrics_port, 0), "the gauge back at 0")
        await terminate_all(client, task_queue)

    assert paged["tier"] == "primary" and paged["target"] == primary["target"]  # who holds primary now
    assert own_pages(recorder, broken) == [] and watchdog_pages(recorder, healthy) == []
    assert shown["failing"]["known_from"] == "declaration" and shown["title"] == BUG
    assert "planted bug: the declaration" in shown["failing"]["cause"]


async def _gauge_is(port: int, expected: float) -> bool:
    return await failing_gauge(port) == expected
