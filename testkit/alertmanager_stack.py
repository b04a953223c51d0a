"""The real Alertmanager in front of the real stack, as the project's own processes: a Temporal dev server of its
own, a worker on the short policy (durations / 30), pages recorded to a JSONL file, and `incident gateway`.
One receiver per test subject (tests/e2e/alertmanager/), so each counts its own notifications."""

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from adapters.channels import RecordingChannel
from adapters.policy_files import INCIDENT_FILE
from cli.dev import Stack as Children
from cli.dev import wait_for_port
from testkit.alertmanager import SEVERITY_FROM_LABEL, RealAlertmanager, pagerduty_receiver, webhook_receiver
from testkit.environment import free_port
from testkit.gateway import TOKEN
from testkit.polling import wait_until_sync
from testkit.processes import DevServer, WorkerProcess, stack_env

# A PagerDuty integration key belongs to a service (INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS: routing key → service)
PD_ROUTING_KEY = "0123456789abcdef0123456789abcdef"
PD_SERVICE = "payments"
TIMELY = 30  # seconds: anything the stack does in answer to a notification happens well within this


@dataclass
class RealStack:
    env: dict[str, str]
    gateway_url: str
    am: RealAlertmanager
    logs: dict[str, Path]

    @property
    def policy_dir(self) -> Path:
        return Path(self.env["INCIDENTFLOW_POLICY_DIR"])

    def policy(self) -> dict:
        return yaml.safe_load((self.policy_dir / INCIDENT_FILE).read_text(encoding="utf-8"))

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)

    def incidents(self) -> list[dict]:
        with self.http() as http:
            answer = http.get("/api/incidents")
        return answer.json() if answer.status_code == 200 else []

    def ids(self, alertname: str) -> list[str]:
        return [i["id"] for i in self.incidents() if alertname in i["title"]]

    def find(self, alertname: str, since: int, also=lambda listed: False) -> str:
        """The incident of the alert group named `alertname` (in its title; `also` accepts others, e.g. by id)."""
        def found():
            return [i["id"] for i in self.incidents() if alertname in i["title"] or also(i)]

        try:
            return wait_until_sync(found, f"the incident of {alertname}", TIMELY)[0]
        except AssertionError as error:
            failed = self.am.failures(since=since)
            raise AssertionError(f"{error}; Alertmanager's failed notifications: {failed}") from None

    def state(self, incident_id: str) -> dict | None:
        with self.http() as http:
            answer = http.get(f"/api/incidents/{incident_id}")
        return answer.json() if answer.status_code == 200 else None

    def until(self, incident_id: str, condition, what: str, timeout: float = TIMELY) -> dict:
        """Poll the incident's JSON until `condition(state)`; that state."""
        def check():
            state = self.state(incident_id)
            return state if state is not None and condition(state) else None

        try:
            return wait_until_sync(check, f"{incident_id}: {what}", timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}; now: {brief(self.state(incident_id))}") from None

    def decide(self, incident_id: str, **decision) -> dict:
        with self.http() as http:
            answer = http.post(f"/api/incidents/{incident_id}/decisions", json=decision)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def pages(self, incident_id: str) -> list[dict]:
        return [p for p in RecordingChannel(self.env["INCIDENTFLOW_RECORD_FILE"]).pages()
                if p["incident_id"] == incident_id]


def all_resolved(state: dict) -> bool:
    return bool(state["alerts"]) and all(a["status"] == "resolved" for a in state["alerts"].values())


def brief(state: dict | None) -> str:
    if state is None:
        return "no such incident"
    alerts = {a["labels"].get("instance", fp): a["status"] for fp, a in state["alerts"].items()}
    return (f"phase {state['phase']}, severity {state['severity']}, alerts {alerts}, "
            f"alerts_hidden {state.get('alerts_hidden')}, timeline {[t['text'] for t in state['timeline']]}")


@contextmanager
def real_stack(workdir: Path):
    """The whole stack and an Alertmanager with a receiver per test subject; logs printed if it fails to start."""
    with DevServer(workdir) as server:
        env = stack_env(server.address, workdir, divisor=30, INCIDENTFLOW_API_TOKEN=TOKEN,
                        INCIDENTFLOW_PAGERDUTY_INTAKE_KEYS=json.dumps({PD_ROUTING_KEY: PD_SERVICE}))
        env.pop("INCIDENTFLOW_DATABASE_URL", None)  # the default ledger: SQLite in the data dir
        logs = {"worker": workdir / "worker.log", "gateway": workdir / "gateway.log",
                "temporal": workdir / "temporal.log"}
        worker = WorkerProcess(env, logs["worker"])
        children = Children()
        try:
            worker.start(wait=False)  # the worker and the gateway import at the same time
            port = free_port()
            gateway = children.start("gateway", [sys.executable, "-m", "cli.main", "gateway", "--host", "127.0.0.1",
                                                 "--port", str(port)], env, logs["gateway"])
            wait_for_port("127.0.0.1", port, 90, gateway)
            worker.wait_ready(90)
            url = f"http://127.0.0.1:{port}"
            receivers = [
                webhook_receiver("normal", url, TOKEN),
                pagerduty_receiver("pagerduty", url, PD_ROUTING_KEY, severity=SEVERITY_FROM_LABEL),
                webhook_receiver("flapping", url, TOKEN),
                webhook_receiver("truncated", url, TOKEN, max_alerts=2),
                webhook_receiver("recovered", url, TOKEN),
                webhook_receiver("postmortem", url, TOKEN),
            ]
            with RealAlertmanager(workdir / "alertmanager", receivers) as am:
                logs["alertmanager"] = am.log_file
                yield RealStack(env=env, gateway_url=url, am=am, logs=logs)
        except BaseException:
            print_logs(logs, {})
            raise
        finally:
            worker.stop()
            children.stop()


def print_logs(logs: dict[str, Path], offsets: dict[str, int]) -> None:
    for name, path in logs.items():
        if not path.exists():
            continue
        with path.open("rb") as handle:
            handle.seek(offsets.get(name, 0))
            lines = handle.read().decode("utf-8", errors="replace").splitlines()[-200:]
        print(f"── {name} log ({path}, last {len(lines)} lines of this test) ──", *lines, sep="\n")
