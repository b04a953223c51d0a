"""The handover and report bots against a real Temporal dev server (the time-skipping server has no
schedules): worker start-ups create each schedule once, triggering it posts the handover with the right
names, the report counts the page, and the CLI shows the same."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.channels import RecordingChannel
from adapters.stores.overrides import OverrideStore
from domain.incident.severity import Severity, Tier
from domain.oncall.report import week_of
from domain.oncall.rotation import INSTANT, Override, holder, last_handover
from service.schedules import (
    HANDOVER_SCHEDULE_ID,
    MONTHLY_REVIEW_SCHEDULE_ID,
    PERIODIC_SCHEDULE_PREFIX,
    REPORT_SCHEDULE_ID,
    WEEKLY_REVIEW_SCHEDULE_ID,
)
from testkit.helpers import start_incident
from testkit.polling import wait_until
from testkit.processes import WorkerProcess
from workflows.incident import IncidentWorkflow
from workflows.oncall_report import OnCallReportWorkflow, ReportRequest
from workflows.periodic import PeriodicCheckJob

pytestmark = pytest.mark.slow
PERIODIC = {"weekly-stats": PERIODIC_SCHEDULE_PREFIX + "weekly", "monthly-review": PERIODIC_SCHEDULE_PREFIX + "monthly",
            "quarterly-training": PERIODIC_SCHEDULE_PREFIX + "quarterly",
            "annual-plan": PERIODIC_SCHEDULE_PREFIX + "annual"}
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def stack_env(dev_server, tmp_path):
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_server,
        "INCIDENTFLOW_TASK_QUEUE": f"oncall-{uuid.uuid4().hex[:8]}",
        "INCIDENTFLOW_NOTIFY": "record",
        "INCIDENTFLOW_RECORD_FILE": str(tmp_path / "record.jsonl"),
        "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data"),
    }


def start_worker(env: dict, log: Path) -> WorkerProcess:
    worker = WorkerProcess(env, log)
    worker.start()  # until it logged "worker ready"
    return worker


async def schedule_ids(client) -> list[str]:
    return [s.id async for s in await client.list_schedules()]


def messages(env: dict, kind: str) -> list[dict]:
    return [r for r in RecordingChannel(Path(env["INCIDENTFLOW_RECORD_FILE"])).read()
            if r["type"] == "message" and r["kind"] == kind]


async def test_handover_schedule_is_created_once_and_posts_the_handover(dev_client, stack_env, tmp_path, policy):
    first, second = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    for schedule_id in await schedule_ids(dev_client):  # other tests' workers on this server made them
        await dev_client.get_schedule_handle(schedule_id).delete()
    start_worker(stack_env, first).stop()
    worker = start_worker(stack_env, second)  # the second start-up finds the schedules and keeps them
    try:
        assert "schedule incidentflow-oncall-handover created" in first.read_text()
        assert "schedule incidentflow-oncall-handover updated" in second.read_text()

        async def both_listed():
            ids = await schedule_ids(dev_client)
            wanted = {HANDOVER_SCHEDULE_ID, REPORT_SCHEDULE_ID, WEEKLY_REVIEW_SCHEDULE_ID, MONTHLY_REVIEW_SCHEDULE_ID,
                      *PERIODIC.values()}
            return ids if wanted <= set(ids) else None

        ids = await wait_until(both_listed, "every schedule listed", timeout=30)
        assert ids.count(HANDOVER_SCHEDULE_ID) == 1 and ids.count(REPORT_SCHEDULE_ID) == 1

        handle = dev_client.get_schedule_handle(HANDOVER_SCHEDULE_ID)
        description = await handle.describe()
        spec = description.schedule.spec
        assert spec.time_zone_name == "Asia/Seoul"
        assert description.schedule.policy.overlap.name == "SKIP"
        assert description.schedule.action.task_queue == stack_env["INCIDENTFLOW_TASK_QUEUE"]
        upcoming = [t.astimezone(SEOUL) for t in description.info.next_action_times]
        assert upcoming and all((t.weekday(), t.hour, t.minute, t.second) == (0, 9, 0, 0) for t in upcoming)
        monthly = await dev_client.get_schedule_handle(MONTHLY_REVIEW_SCHEDULE_ID).describe()
        firsts = [t.astimezone(SEOUL) for t in monthly.info.next_action_times]
        assert firsts and all((t.day, t.hour, t.minute) == (1, 9, 0) for t in firsts)
        assert ids.count(WEEKLY_REVIEW_SCHEDULE_ID) == 1 and ids.count(MONTHLY_REVIEW_SCHEDULE_ID) == 1
        # the periodic checks (정기 점검): each period's first day at the handover time, one run per period
        first_days = {"weekly-stats": lambda t: t.weekday() == 0, "monthly-review": lambda t: t.day == 1,
                      "quarterly-training": lambda t: t.day == 1 and t.month in (1, 4, 7, 10),
                      "annual-plan": lambda t: (t.month, t.day) == (1, 1)}
        for item, schedule_id in PERIODIC.items():
            assert ids.count(schedule_id) == 1, schedule_id
            periodic = await dev_client.get_schedule_handle(schedule_id).describe()
            assert periodic.schedule.policy.overlap.name == "ALLOW_ALL"
            assert periodic.schedule.action.workflow == "PeriodicCheckWorkflow"
            [job] = await dev_client.data_converter.decode(periodic.schedule.action.args, [PeriodicCheckJob])
            assert (job.item, job.period) == (item, None)  # each run: the period it starts in
            times = [t.astimezone(SEOUL) for t in periodic.info.next_action_times]
            assert times and all(first_days[item](t) and (t.hour, t.minute) == (9, 0) for t in times), (item, times)

        # An open incident, and an override that makes someone else the incoming secondary
        now = datetime.now(UTC)
        at = last_handover(policy.oncall.rotation, now)
        OverrideStore(Path(stack_env["INCIDENTFLOW_DATA_DIR"])).add(Override(
            tier=Tier.SECONDARY, who="sre-lead", start=at, end=at + timedelta(days=7), reason="team lead covers"))
        incident = await start_incident(dev_client, stack_env["INCIDENTFLOW_TASK_QUEUE"], Severity.SEV2,
                                        id=f"handover-{uuid.uuid4().hex[:6]}", title="Checkout latency")

        async def paged():
            state = await incident.query(IncidentWorkflow.snapshot)
            return state if state and state.pages else None

        state = await wait_until(paged, "the incident's first page", timeout=30)
        await handle.trigger()
        (message,) = await wait_until(lambda: messages(stack_env, "handover"), "the handover message", timeout=30)
    finally:
        worker.stop()

    outgoing = {t: holder(policy.oncall, t, at - INSTANT) for t in Tier}
    incoming = {t: holder(policy.oncall, t, at) for t in Tier}
    text = message["text"]
    name = policy.person_name
    assert f"1차 온콜 (Primary): {name(outgoing[Tier.PRIMARY])} ({outgoing[Tier.PRIMARY]}) → " \
           f"{name(incoming[Tier.PRIMARY])} ({incoming[Tier.PRIMARY]})" in text
    assert f"2차 온콜 (Secondary): {name(outgoing[Tier.SECONDARY])} ({outgoing[Tier.SECONDARY]}) → " \
           "SRE Team Lead (@game-sre-lead) (sre-lead)" in text
    assert f"{state.id} SEV2 payments: Checkout latency" in text.split("Open incidents")[1]
    assert set(message["to"]) == {outgoing[Tier.PRIMARY], incoming[Tier.PRIMARY], outgoing[Tier.SECONDARY],
                                  "sre-lead"}
    await incident.terminate("test over")


async def test_report_workflow_and_cli_count_the_week_s_pages(dev_client, stack_env, tmp_path, policy):
    from worker import build_worker

    recorder = RecordingChannel(Path(stack_env["INCIDENTFLOW_RECORD_FILE"]))
    queue = stack_env["INCIDENTFLOW_TASK_QUEUE"]
    store = OverrideStore(Path(stack_env["INCIDENTFLOW_DATA_DIR"]))
    async with build_worker(dev_client, queue, [recorder], overrides=store):
        incident = await start_incident(dev_client, queue, Severity.SEV2, id=f"report-{uuid.uuid4().hex[:6]}")

        async def acked():
            state = await incident.query(IncidentWorkflow.snapshot)
            return state if state and state.pages else None

        state = await wait_until(acked, "the incident's first page", timeout=30)
        paged = state.pages[0].target
        from domain.incident import decisions as d

        await incident.execute_update(IncidentWorkflow.decide, d.Acknowledge(by=paged))
        week = week_of(state.pages[0].at, "Asia/Seoul")
        report = await dev_client.execute_workflow(
            OnCallReportWorkflow.run, ReportRequest(week=week), id=f"report-{uuid.uuid4().hex[:6]}", task_queue=queue)
        # the CLI reads the same records (the running incident through its query, answered by this worker)
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "cli.main", "oncall", "report", "--week", week, "--json"],
            env=stack_env, capture_output=True, text=True, timeout=60)
        await incident.terminate("test over")

    assert result.returncode == 0, result.stderr
    mine = next(r for r in report.responders if r.who == paged)
    assert mine.pages >= 1 and mine.acknowledged >= 1 and mine.median_ack_seconds is not None
    (message,) = [m for m in messages(stack_env, "report") if week in m["text"]]
    assert f"{policy.person_name(paged)} ({paged})" in message["text"]

    data = json.loads(result.stdout)
    assert data["week"] == week
    assert any(r["who"] == paged and r["acknowledged"] >= 1 for r in data["responders"])

    synced = subprocess.run([sys.executable, "-m", "cli.main", "schedules", "sync"], env=stack_env,
                            capture_output=True, text=True, timeout=60)
    assert synced.returncode == 0, synced.stderr
    assert f"{HANDOVER_SCHEDULE_ID}: " in synced.stdout and "every monday 09:00 Asia/Seoul" in synced.stdout
    lines = dict(line.split(": ", 1) for line in synced.stdout.splitlines())
    for name, when in [("weekly", "every monday"), ("monthly", "1st of every month"),
                       ("quarterly", "1st of January, April, July and October"), ("annual", "1st of January")]:
        assert lines[PERIODIC_SCHEDULE_PREFIX + name].startswith(f"updated ({when} 09:00 Asia/Seoul, "), lines
