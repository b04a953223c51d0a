"""The real gateway app served by uvicorn in a thread on a free loopback port, example payloads, and what a test
reads back afterwards (the incident's state, its pages, whether a workflow exists)."""

import copy
import json
import tempfile
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from temporalio.service import RPCError, RPCStatusCode

from adapters.stores.ledger_schema import gateway_outbox
from adapters.stores.outbox import outbox_url
from gateway.app import create_app
from gateway.mapping import incident_key
from settings import Settings
from testkit.fakes.server import ServedApp
from testkit.helpers import running_worker
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOKEN = "test-token-1"
ROTATED_TOKEN = "test-token-2"
GRAFANA_SECRET = "grafana-hmac-secret"
# Most tests assert what Temporal did (`started`, `ignored`), so by default the answer waits for the delivery;
# tests of the outbox itself pass their own INCIDENTFLOW_GATEWAY_ANSWER_WITHIN_MS.
FULL_ANSWER_MS = 60_000


class ServedGateway:
    def __init__(self, settings: Settings, interceptors=()):
        self.settings = settings
        self.app = create_app(settings)
        self.app.state.gateway.temporal.interceptors.extend(interceptors)  # before its client connects
        self.served = ServedApp(self.app, lifespan="on")
        self.port, self.url = self.served.port, self.served.url

    def start(self) -> None:
        self.served.__enter__()

    def stop(self) -> None:
        self.served.__exit__(None, None, None)

    def http(self, token: str | None = TOKEN) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def personal_token(self, person: str) -> str:
        """A personal API token of `person` (a policy handle), issued with the shared admin token."""
        async with self.http() as admin:
            issued = await admin.post("/api/tokens", json={"name": person, "kind": "person", "person": person})
        assert issued.status_code == 201, issued.text
        return issued.json()["secret"]

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
    # many tests refuse requests on purpose, all from 127.0.0.1: the tests of the 429 itself turn it back on
    overrides.setdefault("gateway_auth_failure_limit", 0)
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


@asynccontextmanager
async def alert_stack(time_env, task_queue: str, recorder):
    """A worker and the gateway on the time-skipping server: alerts in over HTTP, pages out to `recorder`."""
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue) as gateway:
            yield gateway


async def state_of(client, incident_id: str):
    """The incident's state once its workflow has one (it starts moments after the webhook answered)."""
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, WORKFLOW_ID_PREFIX + incident_id)
    return await wait_until(lambda: handle.query(IncidentWorkflow.snapshot), f"{incident_id} to start", timeout=10)


async def state_with_alerts(client, incident_id: str, count: int):
    """The incident's state once it holds `count` alerts; None before."""
    state = await state_of(client, incident_id)
    return state if len(state.alerts) == count else None


def primary_pages(recorder, incident_id: str) -> list[dict]:
    return [p for p in recorder.pages() if p["incident_id"] == incident_id and p["tier"] == "primary"]


async def exists(client, incident_id: str) -> bool:
    """Whether the incident's workflow exists (running or not)."""
    try:
        await client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id).describe()
        return True
    except RPCError as exc:
        assert exc.status == RPCStatusCode.NOT_FOUND
        return False


async def assert_no_workflow(client, source: str, raw_key: str) -> None:
    """A refused request must leave no workflow behind: none exists for the key it carried."""
    assert not await exists(client, incident_key(source, raw_key)), f"a workflow exists for {source} {raw_key!r}"


async def post_raw(gateway: ServedGateway, path: str, body: bytes, headers: dict | None = None,
                   token: str | None = TOKEN) -> httpx.Response:
    """POST `body` exactly as given (a JSON content type unless `headers` say otherwise)."""
    async with gateway.http(token) as http:
        return await http.post(path, content=body, headers={"Content-Type": "application/json", **(headers or {})})
