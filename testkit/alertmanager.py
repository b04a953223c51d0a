"""The real Alertmanager (Debian's `prometheus-alertmanager` 0.25, installed by scripts/system-deps.sh) pointed
at a running gateway, and driven with `amtool` as an operator or Prometheus would feed it.

`RealAlertmanager(workdir, receivers)` writes a config whose receivers are `webhook_receiver(...)` (the
gateway's `/webhooks/alertmanager`, bearer token, `send_resolved`, optional `max_alerts`) and
`pagerduty_receiver(...)` (the gateway's `/v2/enqueue`, routing key in the body), with timings short enough
for tests (`Timing`). The first receiver is the default route; an alert with the label `route=<receiver
name>` goes to that receiver instead, so each test can have a receiver (and a notification count) of its
own. Alertmanager listens on a free loopback port, clustering off, its data dir and log in `workdir`.

    with RealAlertmanager(tmp, [webhook_receiver("hook", gateway_url, TOKEN)]) as am:
        am.fire({"alertname": "LeaderboardStale", "service": "leaderboard"}, summary="stale")
        ...
        am.resolve({"alertname": "LeaderboardStale", "service": "leaderboard"})
        assert am.notifications("hook") >= 2
"""

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from testkit.environment import free_port
from testkit.polling import wait_until_sync
from testkit.processes import StartedProcess

ALERTMANAGER = "prometheus-alertmanager"
AMTOOL = "amtool"
ROUTE_LABEL = "route"


def binaries() -> tuple[str, str]:
    """Paths of prometheus-alertmanager and amtool; fails the test naming what to install when missing."""
    found = shutil.which(ALERTMANAGER), shutil.which(AMTOOL)
    if not all(found):
        pytest.fail("the real Alertmanager is needed: run scripts/system-deps.sh as root "
                    "(apt-get install prometheus-alertmanager: prometheus-alertmanager and amtool)")
    return found  # type: ignore[return-value]


@dataclass(frozen=True)
class Timing:
    """Alertmanager's grouping timers, in its own duration syntax. `group_wait` 1s: the first notification a
    second after the first alert (the alerts a test fires together arrive as one group); `group_interval`
    1s: a change (a resolved alert, a new one) is sent within a second; `repeat_interval` 2s: an unchanged
    group is sent again every 2 s, as a real one is every few hours. `resolve_timeout` is when an alert
    fired without an end resolves by itself: longer than any test keeps an alert firing, short enough that
    alerts a failed test leaves behind stop being repeated."""

    group_wait: str = "1s"
    group_interval: str = "1s"
    repeat_interval: str = "2s"
    resolve_timeout: str = "90s"


def webhook_receiver(name: str, gateway_url: str, token: str, max_alerts: int | None = None) -> dict:
    """A `webhook_configs` receiver posting to the gateway's Alertmanager webhook with a bearer token."""
    config: dict = {"url": f"{gateway_url}/webhooks/alertmanager", "send_resolved": True,
                    "http_config": {"authorization": {"credentials": token}}}
    if max_alerts is not None:
        config["max_alerts"] = max_alerts
    return {"name": name, "webhook_configs": [config]}


def pagerduty_receiver(name: str, gateway_url: str, routing_key: str, severity: str | None = None) -> dict:
    """A `pagerduty_configs` receiver (Events API v2) posting to the gateway's `/v2/enqueue`; the routing key
    in the body is the only credential. `severity` is Alertmanager's template for PagerDuty's severity
    (its default is always `error`)."""
    config: dict = {"url": f"{gateway_url}/v2/enqueue", "routing_key": routing_key, "send_resolved": True}
    if severity is not None:
        config["severity"] = severity
    return {"name": name, "pagerduty_configs": [config]}


# PagerDuty's severity from the alert's `severity` label when it has one (what an SRE writes in
# pagerduty_configs), else Alertmanager's default.
SEVERITY_FROM_LABEL = '{{ if .CommonLabels.severity }}{{ .CommonLabels.severity }}{{ else }}error{{ end }}'


def alertmanager_config(receivers: list[dict], timing: Timing = Timing(), group_by=("alertname",)) -> dict:
    route = {"receiver": receivers[0]["name"], "group_by": list(group_by), "group_wait": timing.group_wait,
             "group_interval": timing.group_interval, "repeat_interval": timing.repeat_interval,
             "routes": [{"matchers": [f'{ROUTE_LABEL}="{r["name"]}"'], "receiver": r["name"]} for r in receivers[1:]]}
    return {"global": {"resolve_timeout": timing.resolve_timeout}, "route": route, "receivers": receivers}


class RealAlertmanager(StartedProcess):
    def __init__(self, workdir: Path, receivers: list[dict], timing: Timing = Timing(), group_by=("alertname",)):
        self.binary, self.amtool = binaries()
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.dir / "alertmanager.yml"
        self.log_file = self.dir / "alertmanager.log"
        self.config = alertmanager_config(receivers, timing, group_by)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._annotations: dict[tuple, dict[str, str]] = {}  # what each alert fired with, to resolve it alike
        self._firing: dict[tuple, dict[str, str]] = {}

    # ── the process ──────────────────────────────────────────────────────────────────────────────
    def start(self, timeout: float = 30) -> None:
        self.config_file.write_text(yaml.safe_dump(self.config, sort_keys=False), encoding="utf-8")
        check = subprocess.run([self.amtool, "check-config", str(self.config_file)], capture_output=True, text=True,
                               timeout=30)
        assert check.returncode == 0, f"amtool check-config refused {self.config_file}:\n{check.stdout}{check.stderr}"
        command = [self.binary, f"--config.file={self.config_file}", f"--storage.path={self.dir / 'data'}",
                   f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=debug"]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_sync(self._ready, "Alertmanager to be ready", timeout, interval=0.1)
        except AssertionError as error:
            raise AssertionError(f"{error}:\n{self.log()}") from None

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"Alertmanager exited with {self.process.returncode}:\n{self.log()}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self.print_log()
        self.stop()

    # ── its log ──────────────────────────────────────────────────────────────────────────────────
    def log_size(self) -> int:
        return self.log_file.stat().st_size if self.log_file.exists() else 0

    def log(self, since: int = 0) -> str:
        if not self.log_file.exists():
            return ""
        with self.log_file.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode("utf-8", errors="replace")

    def print_log(self, since: int = 0, lines: int = 300) -> None:
        tail = self.log(since).splitlines()[-lines:]
        print(f"── Alertmanager log ({self.log_file}, last {len(tail)} lines) ──", *tail, sep="\n", file=sys.stderr)

    def notifications(self, receiver: str, since: int = 0) -> int:
        """Notifications Alertmanager delivered to `receiver` (2xx answers), from its debug log."""
        return len(re.findall(rf'receiver={re.escape(receiver)} integration=\S+ msg="Notify success"',
                              self.log(since)))

    def failures(self, receiver: str | None = None, since: int = 0) -> list[str]:
        """Log lines of notifications that failed (a non-2xx answer, a refused connection): to `receiver`, or to
        any receiver (then with every other error Alertmanager logged)."""
        failed = [line for line in self.log(since).splitlines()
                  if "level=error" in line or "Notify attempt failed" in line or "Notify for alerts failed" in line]
        if receiver is None:
            return failed
        return [line for line in failed if f"receiver={receiver} " in line or f'err="{receiver}/' in line]

    # ── alerts, through amtool ───────────────────────────────────────────────────────────────────
    def amtool_command(self, *args: str) -> list[str]:
        return [self.amtool, f"--alertmanager.url={self.url}/", "--no-version-check", *args]

    def add(self, labels: dict[str, str], annotations: dict[str, str] | None = None,
            start: datetime | None = None, end: datetime | None = None) -> None:
        """`amtool alert add` one alert: no `end` = firing until resolved (or `resolve_timeout`); an `end` in the
        past = resolved."""
        args = ["alert", "add", *(f"{k}={v}" for k, v in labels.items())]
        args += [f"--annotation={k}={v}" for k, v in (annotations or {}).items()]
        if start is not None:
            args.append(f"--start={_rfc3339(start)}")
        if end is not None:
            args.append(f"--end={_rfc3339(end)}")
        result = subprocess.run(self.amtool_command(*args), capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"amtool {' '.join(args)} failed:\n{result.stdout}{result.stderr}"

    def fire(self, labels: dict[str, str], **annotations: str) -> None:
        key = _key(labels)
        self._annotations[key] = annotations
        self._firing[key] = labels
        self.add(labels, annotations)

    def resolve(self, labels: dict[str, str]) -> None:
        """Resolve an alert `fire` sent (same labels and annotations, `--end` a second ago)."""
        key = _key(labels)
        self._firing.pop(key, None)
        self.add(labels, self._annotations.get(key), end=datetime.now(UTC) - timedelta(seconds=1))

    def resolve_all(self) -> None:
        """Every alert still firing that `fire` sent: the groups stop being repeated."""
        for labels in list(self._firing.values()):
            self.resolve(labels)

    def alerts(self, *matchers: str) -> list[dict]:
        """`amtool alert query` as JSON (active alerts only, as amtool shows them)."""
        result = subprocess.run(self.amtool_command("-o", "json", "alert", "query", *matchers), capture_output=True,
                                text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout or "[]")


def _key(labels: dict[str, str]) -> tuple:
    return tuple(sorted(labels.items()))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
