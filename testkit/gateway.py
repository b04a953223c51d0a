"""The real gateway app served by uvicorn in a thread on a free loopback port, and example payloads."""

import asyncio
import copy
import json
import tempfile
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn

from adapters.stores.ledger_schema import gateway_outbox
from gateway.app import create_app
from gateway.outbox import outbox_url
from settings import Settings
from testkit.environment import free_port
from testkit.helpers import running_worker
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOKEN = "test-token-1"
ROTATED_TOKEN = "test-token-2"
# Most tests assert what Temporal did (`started`, `ignored`), so by default the answer waits for the delivery;
# tests of the outbox itself pass their own INCIDENTFLOW_GATEWAY_ANSWER_WITHIN_MS.
FULL_ANSWER_MS = 60_000


class ServedGateway:
    def __init__(self, settings: Settings, interceptors=()):
        self.settings = settings
        self.app = create_app(settings)
        self.app.state.gateway.temporal.interceptors.extend(interceptors)  # before its client connects
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("gateway did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def http(self, token: str | None = TOKEN) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    @property
    def outbox_url(self) -> str:
        return outbox_url(self.settings.database_url)

    def metric(self, name: str, **labels: str) -> float:
        value = self.app.state.gateway.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


@contextmanager
def served(temporal_address: str, task_queue: str, interceptors=(), **overrides):
    """The gateway on a free port. Its outbox is a database of its own unless `database_url` or `data_dir` say
    otherwise (rows one test leaves must not reach another test's Temporal)."""
    overrides.setdefault("gateway_answer_within_ms", FULL_ANSWER_MS)
    if "database_url" not in overrides and "data_dir" not in overrides:
        overrides["database_url"] = f"sqlite:///{tempfile.mkdtemp(prefix='incidentflow-gateway-')}/ledger.sqlite3"
    settings = Settings(temporal_address=temporal_address, temporal_namespace="default", task_queue=task_queue,
                        api_token=f"{TOKEN},{ROTATED_TOKEN}", **overrides)
    gateway = ServedGateway(settings, interceptors)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def outbox_rows(url: str) -> list[dict]:
    """Every row of the outbox database at `url` (a gateway's: `ServedGateway.outbox_url`), oldest first."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(gateway_outbox.name):
                return []
            return [dict(r._mapping) for r in conn.execute(sa.select(gateway_outbox).order_by(gateway_outbox.c.id))]
    finally:
        engine.dispose()


def address_of(client) -> str:
    return client.service_client.config.target_host


def example(name: str) -> dict:
    return json.loads((EXAMPLES / "payloads" / name).read_text(encoding="utf-8"))


def alertmanager_group(group_key: str, status: str = "firing", fingerprints=("a1",), **label_overrides) -> dict:
    """The example Alertmanager payload, re-keyed: one group with the given alerts, all with `status`."""
    payload = copy.deepcopy(example("alertmanager-firing.json"))
    template = payload["alerts"][0]
    payload["groupKey"] = group_key
    payload["status"] = status
    payload["alerts"] = []
    payload["commonLabels"] = {**payload["commonLabels"], **label_overrides}
    for fingerprint in fingerprints:
        alert = copy.deepcopy(template)
        alert["fingerprint"] = fingerprint
        alert["status"] = status
        alert["labels"] = {**alert["labels"], "instance": fingerprint, **label_overrides}
        if status == "resolved":
            alert["endsAt"] = "2026-05-04T10:20:00Z"
        payload["alerts"].append(alert)
    return payload


@contextmanager
def private_dev_server(data_dir: Path):
    """A Temporal dev server of our own: listing incidents queries every running one, and incidents other
    test modules leave behind without a worker would make those queries wait."""
    import subprocess

    from cli.dev import dev_server_command, wait_for_temporal

    port, ui_port = free_port(), free_port()
    with open(data_dir / "temporal.log", "wb") as log:
        process = subprocess.Popen(dev_server_command(data_dir, port, ui_port), stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_temporal(port, 60, process)
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=20)


@asynccontextmanager
async def alert_stack(time_env, task_queue: str, recorder):
    """A worker and the gateway on the time-skipping server: alerts in over HTTP, pages out to `recorder`."""
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue) as gateway:
            yield gateway


async def state_of(client, incident_id: str):
    """The incident's state once its workflow has one (it starts moments after the webhook answered)."""
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + incident_id)
    for _ in range(200):
        state = await handle.query(IncidentWorkflow.snapshot)
        if state is not None:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{incident_id} never started")


async def wait_until(predicate, what: str, timeout: float = 20.0):
    """Poll `predicate()` (sync or async) until it returns something truthy; fail naming `what`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
