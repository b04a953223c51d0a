"""`incident dev`: the embedded stack on one machine — Temporal dev server (SQLite file in the data
directory), the worker and the gateway — stopped together with Ctrl-C, and found again on restart."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cli.dev_token import ensure_dev_token, ensure_feed_secret
from cli.dev_token import usage as token_usage
from settings import get_settings
from workflows import search

# The fastest SQLite setting for a laptop stack (production uses PostgreSQL): docs/performance.md, "Dev-server".
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=0")


def binary(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found; install the project (`make install`), which brings it")
    return found


def dev_server_command(data_dir: Path, port: int, ui_port: int, ip: str = "127.0.0.1") -> list[str]:
    command = [
        binary("temporal"), "server", "start-dev",
        "--db-filename", str(data_dir / "temporal.db"),
        "--ip", ip, "--port", str(port), "--ui-port", str(ui_port),
        "--namespace", "default", "--log-level", "warn",
        # incidents whose workflow task keeps failing get TemporalReportedProblems: the watchdog finds them at once
        "--dynamic-config-value", "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2",
    ]
    for pragma in SQLITE_PRAGMAS:
        command += ["--sqlite-pragma", pragma]
    for key in search.ALL:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    return command


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


def wait_for_temporal(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Until the dev server on 127.0.0.1:`port` answers its health check: it listens a moment before its
    frontend serves, and a client connecting then fails with "Frontend is not healthy yet"."""
    deadline = time.monotonic() + timeout
    wait_for_port("127.0.0.1", port, timeout, process)
    while time.monotonic() < deadline:
        check = subprocess.run([binary("temporal"), "operator", "cluster", "health", "--address", f"127.0.0.1:{port}"],
                               capture_output=True, text=True, timeout=10)
        if check.returncode == 0 and "SERVING" in check.stdout:
            return
        time.sleep(0.2)
    raise TimeoutError(f"Temporal on 127.0.0.1:{port} not healthy after {timeout:.0f}s")


class Stack:
    """Child processes started in order and stopped in reverse; a crashed worker or gateway is restarted."""

    def __init__(self) -> None:
        self.children: dict[str, tuple[list[str], dict, subprocess.Popen]] = {}

    def start(self, name: str, command: list[str], env: dict, log_file: Path | None = None) -> subprocess.Popen:
        stdout = open(log_file, "ab") if log_file else None  # noqa: SIM115 - lives as long as the child
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.STDOUT if stdout else None)
        self.children[name] = (command, env, process)
        return process

    def supervise(self, restartable: set[str]) -> str | None:
        """Restart crashed restartable children; return the name of a fatal one that exited."""
        for name, (command, env, process) in list(self.children.items()):
            if process.poll() is None:
                continue
            if name not in restartable:
                return name
            print(f"⚠ {name} exited with code {process.returncode}; restarting", flush=True)
            self.start(name, command, env)
        return None

    def stop(self) -> None:
        for _name, (_c, _e, process) in reversed(list(self.children.items())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, (_c, _e, process) in reversed(list(self.children.items())):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def run_dev(data_dir: Path, temporal_port: int, ui_port: int, port: int, with_gateway: bool = True) -> int:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner only (the process umask: cli/startup.py)
    address = f"127.0.0.1:{temporal_port}"
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "INCIDENTFLOW_DATA_DIR": str(data_dir)}
    configured = get_settings().api_token
    token, token_file = ensure_dev_token(data_dir, configured.get_secret_value() if configured else None)
    env["INCIDENTFLOW_API_TOKEN"] = token
    env["INCIDENTFLOW_DEV_LOGIN"] = "true"  # pick a person at /auth/dev-login (loopback only): docs/security.md
    feeds = get_settings().oncall_feed_secret
    env["INCIDENTFLOW_ONCALL_FEED_SECRET"] = ensure_feed_secret(data_dir, feeds.get_secret_value() if feeds else None)
    stack = Stack()
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        server = stack.start("temporal", dev_server_command(data_dir, temporal_port, ui_port), env,
                             data_dir / "temporal.log")
        wait_for_temporal(temporal_port, 60, server)
        stack.start("worker", [sys.executable, "-m", "worker"], env)
        restartable = {"worker"}
        if with_gateway:
            gateway = [sys.executable, "-m", "cli.main", "gateway", "--host", "127.0.0.1", "--port", str(port)]
            stack.start("gateway", gateway, env)
            restartable.add("gateway")
        print(f"incidentflow dev stack running (data in {data_dir}/)\n"
              f"  Temporal:    {address}\n"
              f"  Temporal UI: http://127.0.0.1:{ui_port}\n"
              + (f"  Gateway:     http://127.0.0.1:{port}  (status page http://127.0.0.1:{port}/status)\n"
                 f"  Console:     http://127.0.0.1:{port}/  (log in at http://127.0.0.1:{port}/auth/dev-login)\n"
                 f"  Log in:      http://127.0.0.1:{port}/auth/dev-login  (development login — not for production)\n"
                 + token_usage(port, token_file) if with_gateway else "")
              + "Try: incident declare --service payments --severity sev1 --title 'Payment errors' --by you\n"
              "Ctrl-C stops everything.", flush=True)
        while not stopping:
            fatal = stack.supervise(restartable)
            if fatal:
                print(f"error: {fatal} exited; stopping the stack (see {data_dir}/temporal.log)", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        stack.stop()
