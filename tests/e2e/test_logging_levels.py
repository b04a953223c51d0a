"""Log levels as operators expect: INFO for lifecycle (worker ready, schedule created, console-channel pages and
messages), WARNING for degraded service in one line without a traceback (a channel down, a runbook HTTP step
answered 503, once per attempt; schedules that cannot be made), ERROR with the traceback for a bug."""

import logging
import os
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from adapters.channels.console import ConsoleChannel
from adapters.channels.errors import unavailable
from domain.comms.notifications import Notification, PageRequest
from domain.incident.severity import Severity, Tier
from observability.logs import ONE_LINE_ACTIVITY_FAILURES, SDK_ACTIVITY_LOGGER, configure_logging
from testkit.fakes.server import ServedApp
from testkit.helpers import start_incident
from testkit.polling import wait_until
from testkit.processes import WorkerProcess
from testkit.runbooks import open_alert_incident, remediation_worker, runbook_texts, served_fakes, wait_for_state
from worker import build_worker, sync_schedules


@pytest.fixture
def worker_logging():
    """The worker process's logging set-up (observability/logs.py), undone afterwards for the other tests."""
    sdk = logging.getLogger("temporalio")
    level = sdk.level
    configure_logging()
    yield
    sdk.setLevel(level)
    logging.getLogger(SDK_ACTIVITY_LOGGER).removeFilter(ONE_LINE_ACTIVITY_FAILURES)


def _levels(caplog, logger: str) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == logger]


def _with_traceback(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info or r.exc_text]


async def test_console_pages_and_messages_are_info_without_terminal_escapes(caplog, policy):
    caplog.set_level(logging.DEBUG)
    console = ConsoleChannel()
    await console.page(PageRequest(key="k", incident_id="pay-1", title="Payment errors\x1b[2J", service="payments",
                                   severity=Severity.SEV1, tier=Tier.PRIMARY, reason="declared", at=datetime.now(UTC),
                                   oncall=policy.oncall), "alice", None)
    await console.send(Notification(key="m", incident_id="pay-1", kind="decision", text="ack\x1b]0;x\x07 by alice"))
    assert _levels(caplog, "incidentflow.console") == [
        ("INFO", "📟 PAGE alice [primary] pay-1 — sev1: Payment errors (declared)"),
        ("INFO", "💬 decision pay-1\nack by alice")]


class DownChannel:
    """A channel whose service answers 503, as Slack or PagerDuty do in an outage."""

    name = "pagerduty"

    def __init__(self, error: Exception):
        self.error, self.attempts = error, 0

    async def page(self, request, target, person) -> None:
        self.attempts += 1
        raise self.error

    async def send(self, notification) -> None:
        raise self.error


async def test_a_channel_outage_is_one_warning_line_per_attempt(time_env, task_queue, recorder, caplog,
                                                                worker_logging):
    caplog.set_level(logging.INFO)
    down = DownChannel(unavailable("PagerDuty", "enqueue", "HTTP 503"))
    async with build_worker(time_env.client, task_queue, [recorder, down]):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await wait_until(lambda: down.attempts >= 2, "two attempts of the page")
        await handle.terminate("test over")

    assert _with_traceback(caplog) == []
    failed = [r for r in caplog.records if r.name == SDK_ACTIVITY_LOGGER]
    assert len(failed) >= 2 and {r.levelname for r in failed} == {"WARNING"}
    assert (f"activity page_responder failed (attempt 1, workflow {handle.id}): "
            "PagerDutyUnavailable: PagerDuty enqueue failed: HTTP 503") in [r.getMessage() for r in failed]
    channel = [(level, text) for level, text in _levels(caplog, "activities.notify") if "pagerduty" in text]
    assert channel and all(level == "WARNING" and "\n" not in text for level, text in channel), channel


async def test_a_bug_in_a_channel_is_an_error_with_its_traceback(time_env, task_queue, recorder, caplog,
                                                                 worker_logging):
    caplog.set_level(logging.INFO)
    broken = DownChannel(KeyError("tier"))
    async with build_worker(time_env.client, task_queue, [recorder, broken]):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await wait_until(lambda: broken.attempts >= 1 and _with_traceback(caplog), "the failed attempt logged")
        await handle.terminate("test over")

    [first, *_] = [r for r in caplog.records if r.name == SDK_ACTIVITY_LOGGER]
    assert first.levelname == "ERROR" and first.exc_info and isinstance(first.exc_info[1], KeyError)


async def test_a_runbook_http_step_answered_503_is_one_warning_per_attempt(time_env, task_queue, recorder, caplog,
                                                                           worker_logging):
    caplog.set_level(logging.INFO)
    maintenance = FastAPI()

    @maintenance.api_route("/{path:path}", methods=["GET", "POST"])
    async def down(path: str) -> JSONResponse:
        return JSONResponse({"error": "maintenance"}, status_code=503)

    labels = {"alertname": "GameServerFleetDown", "service": "game-servers", "severity": "critical"}
    with served_fakes() as fakes, ServedApp(maintenance) as admin:
        endpoints = {**fakes.endpoints, "admin_api": admin.url}
        async with remediation_worker(time_env.client, task_queue, recorder, endpoints):
            handle = await open_alert_incident(time_env.client, task_queue, labels, service="game-servers")
            await wait_for_state(handle,
                                 lambda s: any("check-fleet-health" in t and "503" in t for t in runbook_texts(s)),
                                 "the diagnostic step to give up")

    assert _with_traceback(caplog) == []
    attempts = [r for r in caplog.records if r.name == SDK_ACTIVITY_LOGGER and "run_action" in r.getMessage()]
    assert len(attempts) >= 2 and {r.levelname for r in attempts} == {"WARNING"}
    assert all(r.getMessage().endswith("ApplicationError: GET /services/game-servers/health → HTTP 503: "
                                       '{"error":"maintenance"}') for r in attempts), attempts[0].getMessage()
    assert [int(r.temporal_activity["attempt"]) for r in attempts] == list(range(1, len(attempts) + 1))


@pytest.mark.slow
def test_the_worker_logs_its_lifecycle_at_info(dev_server, tmp_path):
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server, "INCIDENTFLOW_TASK_QUEUE": f"logs-{uuid.uuid4().hex[:8]}",
           "INCIDENTFLOW_METRICS_PORT": "0", "INCIDENTFLOW_NOTIFY": "console",
           "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "worker.log"
    worker = WorkerProcess(env, log)
    try:
        worker.start()  # until it logged "worker ready"
    finally:
        worker.stop()

    lines = log.read_text(errors="replace").splitlines()
    ours = [line.split(" ", 2)[2] for line in lines if " incidentflow." in line]
    assert any(line.startswith("INFO incidentflow.worker: worker ready: ") for line in ours), lines
    assert any(line.startswith("INFO incidentflow.worker: schedule incidentflow-oncall-handover ") for line in ours)
    assert ours[-1] == "INFO incidentflow.worker: worker stopped"
    assert not [line for line in ours if line.startswith("WARNING")], ours


async def test_schedules_that_cannot_be_made_are_one_warning_line(time_env, task_queue, policy, caplog):
    caplog.set_level(logging.INFO)
    await sync_schedules(time_env.client, policy, task_queue)  # the time-skipping server has no schedules
    [(level, text)] = _levels(caplog, "incidentflow.worker")
    assert level == "WARNING" and text.startswith("could not create the on-call schedules (") and "\n" not in text
    assert _with_traceback(caplog) == []
