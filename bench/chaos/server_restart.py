"""R2 server restart: incidents opened through the gateway, then the Temporal dev server is killed (SIGKILL)
and started again on the same SQLite file while their escalation timers are pending. While it is down the
gateway answers 503 to an Alertmanager notification; the sender retries the way Alertmanager does
(exponential backoff) until it lands. Afterwards every incident, old and new, must page each tier once.

    python -m bench.chaos.server_restart --incidents 20 --down 10
"""

import argparse
import asyncio
import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from adapters.channels import RecordingChannel
from adapters.policy_files import load_policy
from bench.chaos.crash_check import due_offsets, expected_tiers
from cli.dev import wait_for_port
from domain.incident.severity import Severity
from settings import PROJECT_DIR
from testkit.environment import free_port
from testkit.processes import DevServer, WorkerProcess, stack_env

TOKEN = "chaos-r2-token"
PAYLOAD = PROJECT_DIR / "examples" / "payloads" / "alertmanager-firing.json"


@dataclass
class RestartReport:
    incidents_before: int
    down_seconds: float
    answers_while_down: list[int] = field(default_factory=list)
    retry_attempts: int = 0
    retry_landed_after_restart_seconds: float | None = None
    incidents_after: int = 0
    lost_incidents: list[str] = field(default_factory=list)
    missing_pages: list[str] = field(default_factory=list)
    duplicate_pages: list[str] = field(default_factory=list)
    expected_pages: int = 0

    @property
    def ok(self) -> bool:
        return (not (self.lost_incidents or self.missing_pages or self.duplicate_pages)
                and bool(self.answers_while_down) and set(self.answers_while_down) == {503}
                and self.retry_landed_after_restart_seconds is not None)


def say(text: str) -> None:
    print(f"[r2 {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def alert_group(group_key: str) -> dict:
    payload = json.loads(PAYLOAD.read_text(encoding="utf-8"))
    payload = copy.deepcopy(payload)
    payload["groupKey"] = group_key
    payload["commonLabels"]["severity"] = "critical"
    for alert in payload["alerts"]:
        alert["labels"]["instance"] = group_key
    return payload


async def post(http: httpx.AsyncClient, group_key: str) -> httpx.Response:
    return await http.post("/webhooks/alertmanager", json=alert_group(group_key))


async def run(incidents: int = 20, down: float = 10.0, divisor: int = 60, workdir: Path | None = None) -> RestartReport:
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chaos-r2-"))
    server = DevServer(workdir / "temporal")
    server.start()
    env = stack_env(server.address, workdir, divisor=divisor, queue_prefix="chaos", INCIDENTFLOW_API_TOKEN=TOKEN)
    policy = load_policy(Path(env["INCIDENTFLOW_POLICY_DIR"]))
    recorder = RecordingChannel(Path(env["INCIDENTFLOW_RECORD_FILE"]))
    worker = WorkerProcess(env, workdir / "worker.log")
    port = free_port()
    with open(workdir / "gateway.log", "ab") as log:
        gateway = subprocess.Popen([sys.executable, "-m", "cli.main", "gateway", "--host", "127.0.0.1", "--port",
                                    str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    report = RestartReport(incidents_before=incidents, down_seconds=down)
    opened: dict[str, str] = {}  # groupKey → incident id
    try:
        worker.start()
        wait_for_port("127.0.0.1", port, 60, gateway)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for i in range(incidents):
                answer = await post(http, f"r2-before-{i}")
                answer.raise_for_status()
                opened[f"r2-before-{i}"] = answer.json()["incident_id"]
            await asyncio.sleep(2)  # primary pages out; the escalation timers are pending
            say(f"{incidents} incidents open; killing the Temporal server")
            server.kill(signal.SIGKILL)
            killed_at = time.monotonic()
            while time.monotonic() - killed_at < down:
                report.answers_while_down.append((await post(http, "r2-during")).status_code)
                await asyncio.sleep(2)
            say(f"answers while down: {report.answers_while_down}; restarting the server")
            server.start()  # same port, same SQLite file
            restarted_at = time.monotonic()
            delay = 0.5
            while True:  # Alertmanager's retry: exponential backoff until the receiver accepts
                report.retry_attempts += 1
                answer = await post(http, "r2-during")
                if answer.status_code == 200:
                    opened["r2-during"] = answer.json()["incident_id"]
                    report.retry_landed_after_restart_seconds = round(time.monotonic() - restarted_at, 2)
                    break
                if time.monotonic() - restarted_at > 120:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        say(f"retry landed after {report.retry_attempts} attempts; waiting for the escalations")
        horizon = max(due_offsets(policy, Severity.SEV1).values())
        tiers = expected_tiers(policy, Severity.SEV1)
        expected = {(incident_id, tier) for incident_id in opened.values() for tier in tiers}
        # every page due, or give up a minute past the last deadline (a missing page is then reported)
        give_up = time.monotonic() + horizon + 60
        while not expected <= {(r["incident_id"], r["tier"]) for r in recorder.pages()}:
            if time.monotonic() > give_up:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(3)  # a late duplicate would land now
        delivered: dict[tuple[str, str], int] = {}
        for record in recorder.pages():
            delivered[(record["incident_id"], record["tier"])] = delivered.get(
                (record["incident_id"], record["tier"]), 0) + 1
        report.incidents_after = len({incident for incident, _ in delivered})
        for incident_id in opened.values():
            if not any(key[0] == incident_id for key in delivered):
                report.lost_incidents.append(incident_id)
            for tier in tiers:
                report.expected_pages += 1
                count = delivered.get((incident_id, tier), 0)
                if count == 0:
                    report.missing_pages.append(f"{incident_id}/{tier}")
                elif count > 1:
                    report.duplicate_pages.append(f"{incident_id}/{tier} ×{count}")
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
        worker.stop()
        server.stop()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--down", type=float, default=10.0, help="seconds the server stays down")
    args = parser.parse_args()
    report = asyncio.run(run(args.incidents, args.down))
    print(json.dumps({**asdict(report), "ok": report.ok}, indent=2), flush=True)
    os._exit(0 if report.ok else 1)  # not SystemExit: the Temporal SDK can abort at interpreter exit


if __name__ == "__main__":
    main()
