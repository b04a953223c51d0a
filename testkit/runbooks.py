"""Runbook test support: the fake game-ops admin API and fake Prometheus served on loopback, a worker
whose remediation executors point at them, and incidents opened by an alert."""

import contextlib
import uuid
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from temporalio.client import Client, WorkflowHandle

from activities.remediation import RemediationActivities
from cli.fake_gameops import FakePrometheus, GameOps, create_admin_api, create_prometheus_api
from domain.incident.state import Alert, IncidentStart, IncidentState
from service.incident_reader import query_snapshot
from testkit.environment import POLICY_DIR, PROJECT
from testkit.fakes.server import ServedApp
from testkit.polling import wait_until
from worker import build_worker
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

LATENCY = {"alertname": "ApiHighLatency", "service": "game-api", "severity": "warning"}
RUNBOOK_DIR = PROJECT / "runbooks"


class Fakes:
    def __init__(self) -> None:
        self.ops = GameOps()
        self.prometheus = FakePrometheus()
        self.admin = ServedApp(create_admin_api(self.ops))
        self.prom = ServedApp(create_prometheus_api(self.prometheus))

    @property
    def endpoints(self) -> dict[str, str]:
        return {"admin_api": self.admin.url, "prometheus": self.prom.url}


@contextmanager
def served_fakes():
    fakes = Fakes()
    with fakes.admin, fakes.prom:
        yield fakes


@asynccontextmanager
async def remediation_worker(client: Client, task_queue: str, recorder, endpoints: dict[str, str]):
    """A worker for one test; every incident (and runbook run) it started is terminated before it stops,
    so nothing is left pending on the shared time-skipping server."""
    async with build_worker(client, task_queue, [recorder], remediation=RemediationActivities(endpoints)):
        try:
            yield
        finally:
            await terminate_all(client, task_queue)


async def terminate_all(client: Client, task_queue: str) -> None:
    for handle in STARTED.pop(task_queue, []):
        state = await query_snapshot(handle)
        for run in state.runbooks if state else []:
            if run.workflow_id:
                with contextlib.suppress(Exception):
                    await client.get_workflow_handle(run.workflow_id).terminate("test over")
        with contextlib.suppress(Exception):
            await handle.terminate("test over")


STARTED: dict[str, list[WorkflowHandle]] = {}


async def open_alert_incident(client: Client, task_queue: str, labels: dict[str, str], *, service: str,
                              runbook_dir: Path = RUNBOOK_DIR, policy_dir: Path = POLICY_DIR,
                              **fields) -> WorkflowHandle:
    incident_id = fields.pop("id", None) or f"rb-{uuid.uuid4().hex[:8]}"
    start = IncidentStart(
        id=incident_id, title=labels.get("alertname", "alert"), service=service, declared_by="alertmanager",
        source="alertmanager", policy_dir=str(policy_dir), runbook_dir=str(runbook_dir),
        alerts=[Alert(fingerprint="fp1", labels=labels, annotations={"summary": "test"})], **fields,
    )
    handle = await client.start_workflow(IncidentWorkflow.run, start, id=WORKFLOW_ID_PREFIX + incident_id,
                                         task_queue=task_queue)
    STARTED.setdefault(task_queue, []).append(handle)
    return handle


async def wait_for_state(handle: WorkflowHandle, predicate, what: str, timeout: float = 90) -> IncidentState:
    """The incident's state once `predicate(state)` holds; failing, the timeline says how far it got."""
    seen: list[IncidentState] = []

    async def holds() -> IncidentState | None:
        state = await query_snapshot(handle)
        seen[:] = [state] if state is not None else []
        return state if state is not None and predicate(state) else None

    try:
        return await wait_until(holds, what, timeout, interval=0.1)
    except AssertionError as error:
        texts = "\n".join(f"  {e.kind}: {e.text}" for e in (seen[0].timeline if seen else []))
        raise AssertionError(f"{error}; timeline:\n{texts}") from None


def runbook_texts(state: IncidentState) -> list[str]:
    return [e.text for e in state.timeline if e.kind == "runbook"]


def gate_state(state: IncidentState, runbook: str, step: str) -> str | None:
    run = next((r for r in state.runbooks if r.runbook == runbook), None)
    gate = run.gate(step) if run else None
    return gate.state if gate else None


def run_status(state: IncidentState, runbook: str) -> str | None:
    run = next((r for r in state.runbooks if r.runbook == runbook), None)
    return run.status if run else None


def policy_with_runbooks(target: Path, runbooks: dict) -> Path:
    """A copy of the shipped policy whose `runbooks:` section is replaced."""
    import shutil

    import yaml

    shutil.copytree(POLICY_DIR, target, dirs_exist_ok=True)
    path = target / "incident-management-policy.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["runbooks"] = runbooks
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return target
