"""The pieces of an `incident dev` stack as child processes a test or a chaos run can kill: the Temporal dev
server (same command and SQLite file as `incident dev`), `python -m worker`, and their environment."""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cli.dev import dev_server_command, wait_for_temporal
from testkit.environment import free_port
from testkit.polling import wait_until_sync
from testkit.short_policy import write_short_policy


class StartedProcess:
    """`with` starts it and always stops it, also when starting fails half-way."""

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


@dataclass
class DevServer(StartedProcess):
    data_dir: Path
    port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "temporal.log", "ab") as log:
            self.process = subprocess.Popen(dev_server_command(self.data_dir, self.port, self.ui_port), stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_for_temporal(self.port, 60, self.process)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def stack_env(address: str, workdir: Path, divisor: int = 30, queue_prefix: str = "deploy",
              **extra: str) -> dict[str, str]:
    """Environment of the worker and gateway: a short policy (durations / divisor), pages recorded to a JSONL
    file, a task queue of our own, no metrics port (several workers may run on one machine)."""
    policy_dir = write_short_policy(workdir / "policy", divisor=divisor)
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "INCIDENTFLOW_TASK_QUEUE": f"{queue_prefix}-{uuid.uuid4().hex[:8]}",
        "INCIDENTFLOW_POLICY_DIR": str(policy_dir),
        "INCIDENTFLOW_NOTIFY": "record",
        "INCIDENTFLOW_RECORD_FILE": str(workdir / "record.jsonl"),
        "INCIDENTFLOW_DATA_DIR": str(workdir / "data"),
        "INCIDENTFLOW_METRICS_PORT": "0",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path | None = None, metrics_port: int | None = None) -> subprocess.Popen:
    """`python -m worker`, its output appended to `log` (discarded without one); it may still be importing."""
    if metrics_port is not None:
        env = {**env, "INCIDENTFLOW_METRICS_PORT": str(metrics_port)}
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen([sys.executable, "-m", "worker"], env=env, stdout=output, stderr=subprocess.STDOUT)
    finally:
        if log is not None:
            output.close()


class WorkerProcess:
    """`python -m worker`, restartable; `ready_at` is when it logged 'worker ready' (polling its task queue)."""

    def __init__(self, env: dict[str, str], log_file: Path):
        self.env = env
        self.log_file = log_file
        self.process: subprocess.Popen | None = None
        self.started_at = self.ready_at = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, wait: bool = True) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        self.started_at = time.time()
        self.process = start_worker(self.env, self.log_file)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> float:
        wait_until_sync(self._logged_ready, f"'worker ready' in {self.log_file}", timeout, interval=0.05)
        self.ready_at = time.time()
        return self.ready_at

    def _logged_ready(self) -> bool:
        with open(self.log_file, "rb") as log:
            log.seek(self._offset)
            if b"worker ready" in log.read():
                return True
        if self.process.poll() is not None:
            raise RuntimeError(f"worker exited with {self.process.returncode}; see {self.log_file}")
        return False

    def kill(self) -> float:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return time.time()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
