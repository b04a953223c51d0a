"""A fresh stack per scenario, started the way `incident dev` starts it: the Temporal dev server with
`cli.dev.dev_server_command` (same SQLite file, pragmas and search attributes), the worker (`python -m worker`)
and the gateway (`incident gateway`) as child processes, plus the floor worker. Pages go to the recording
channel's JSONL file, which the benchmark follows."""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.procstat import Usage, usage
from cli.dev import dev_server_command, wait_for_port, wait_for_temporal
from settings import PROJECT_DIR
from testkit.environment import free_port
from testkit.polling import wait_until_sync

STARTUP_SECONDS = 90


@dataclass
class ServerOptions:
    """Changes to the `incident dev` server command (the settings experiments); empty = exactly `incident dev`."""

    pragmas: tuple[str, ...] | None = None  # replaces cli.dev.SQLITE_PRAGMAS when set
    dynamic_config: dict[str, str] = field(default_factory=dict)

    def command(self, data_dir: Path, port: int, ui_port: int, metrics_port: int) -> list[str]:
        import cli.dev

        saved = cli.dev.SQLITE_PRAGMAS
        if self.pragmas is not None:
            cli.dev.SQLITE_PRAGMAS = self.pragmas
        try:
            command = dev_server_command(data_dir, port, ui_port)
        finally:
            cli.dev.SQLITE_PRAGMAS = saved
        for key, value in self.dynamic_config.items():
            if f"{key}=" not in " ".join(command):
                command += ["--dynamic-config-value", f"{key}={value}"]
        return command + ["--metrics-port", str(metrics_port)]


class Stack:
    def __init__(self, name: str, server: ServerOptions | None = None, worker_env: dict[str, str] | None = None,
                 keep: bool = False):
        self.name = name
        self.server_options = server or ServerOptions()
        self.worker_env = worker_env or {}
        self.keep = keep
        self.dir = Path(tempfile.mkdtemp(prefix=f"incidentflow-bench-{name}-"))
        self.port, self.ui_port, self.metrics_port = free_port(), free_port(), free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.token = secrets.token_urlsafe(24)
        self.task_queue = f"bench-{name}"
        self.record_file = self.dir / "pages.jsonl"
        self.floor_record_file = self.dir / "floor.jsonl"
        self.processes: dict[str, subprocess.Popen] = {}
        self.gateway_url: str | None = None
        self.worker_command = [sys.executable, "-m", "worker"]

    # ── processes ────────────────────────────────────────────────────────────────────────────────
    def _env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTFLOW_", "OTEL_", "TEMPORAL_"))}
        env.update({
            "PYTHONPATH": str(PROJECT_DIR), "TEMPORAL_ADDRESS": self.address, "INCIDENTFLOW_DATA_DIR": str(self.dir),
            "INCIDENTFLOW_TASK_QUEUE": self.task_queue, "INCIDENTFLOW_NOTIFY": "record",
            "INCIDENTFLOW_RECORD_FILE": str(self.record_file), "INCIDENTFLOW_API_TOKEN": self.token,
            "INCIDENTFLOW_METRICS_PORT": "0",
        })
        env.update(extra)
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the child
        process = subprocess.Popen(command, env=env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def _wait_for_log(self, name: str, text: str) -> None:
        log = self.dir / f"{name}.log"

        def logged() -> bool:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited early; see {log}:\n{log.read_text(errors='replace')[-2000:]}")
            return text in log.read_text(errors="replace")

        wait_until_sync(logged, f"{name} to log {text!r} (see {log})", STARTUP_SECONDS, interval=0.1)

    def start_server(self) -> None:
        command = self.server_options.command(self.dir, self.port, self.ui_port, self.metrics_port)
        process = self._spawn("temporal", command, self._env())
        wait_for_temporal(self.port, STARTUP_SECONDS, process)

    def start_worker(self, policy_dir: Path | None = None) -> None:
        extra = {"INCIDENTFLOW_POLICY_DIR": str(policy_dir)} if policy_dir else {}
        self._spawn("worker", self.worker_command, self._env(**extra, **self.worker_env))
        self._wait_for_log("worker", "worker ready")

    def start_floor_worker(self) -> None:
        env = self._env(BENCH_TASK_QUEUE=f"{self.task_queue}-floor",
                        INCIDENTFLOW_RECORD_FILE=str(self.floor_record_file))
        self._spawn("floor-worker", [sys.executable, "-m", "bench.floor"], env)
        self._wait_for_log("floor-worker", "floor worker ready")

    def start_gateway(self) -> None:
        port = free_port()
        process = self._spawn("gateway", [sys.executable, "-m", "cli.main", "gateway", "--port", str(port)],
                              self._env())
        wait_for_port("127.0.0.1", port, STARTUP_SECONDS, process)
        self.gateway_url = f"http://127.0.0.1:{port}"
        httpx.get(f"{self.gateway_url}/healthz", timeout=10).raise_for_status()

    def usage(self, name: str) -> Usage:
        return usage(self.processes[name].pid)

    def server_metric(self, name: str, **labels: str) -> float:
        """Sum of one counter of the dev server's Prometheus endpoint over the series matching `labels`."""
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10).text
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{"):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for process in reversed(list(self.processes.values())):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Stack":
        try:
            self.start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None and not self.keep:
            self.keep = True  # what failed is in the logs
            print(f"{self.name} failed; its logs are kept in {self.dir}", file=sys.stderr)
        self.stop()
