"""`incident oncall compensation` as a process against the dev server: a real page and acknowledgement from a
worker show in the month's CSV beside the paged person's hours (docs/oncall.md, "Compensation")."""

import asyncio
import csv
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.channels import RecordingChannel
from adapters.stores.overrides import OverrideStore
from domain.incident import decisions as d
from domain.incident.severity import Severity
from testkit.helpers import start_incident
from testkit.polling import wait_until
from workflows.incident import IncidentWorkflow

pytestmark = pytest.mark.slow


async def test_a_real_page_and_acknowledgement_are_in_the_month_s_csv(dev_client, dev_server, tmp_path):
    from worker import build_worker

    queue = f"compensation-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server, "INCIDENTFLOW_TASK_QUEUE": queue,
           "INCIDENTFLOW_NOTIFY": "record", "INCIDENTFLOW_RECORD_FILE": str(tmp_path / "record.jsonl"),
           "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data")}
    recorder = RecordingChannel(Path(env["INCIDENTFLOW_RECORD_FILE"]))
    async with build_worker(dev_client, queue, [recorder], overrides=OverrideStore(Path(env["INCIDENTFLOW_DATA_DIR"]))):
        incident = await start_incident(dev_client, queue, Severity.SEV2, id=f"comp-{uuid.uuid4().hex[:6]}")

        async def paged():
            state = await incident.query(IncidentWorkflow.snapshot)
            return state if state and state.pages else None

        state = await wait_until(paged, "the incident's first page", timeout=30)
        who = state.pages[0].target
        await incident.execute_update(IncidentWorkflow.decide, d.Acknowledge(by=who))
        month = state.pages[0].at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m")
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "cli.main", "oncall", "compensation", "--month", month,
                             "--format", "csv"], env=env, capture_output=True, text=True, timeout=60)
        await incident.terminate("test over")

    assert result.returncode == 0, result.stderr
    rows = {row["who"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    mine = rows[who]
    assert int(mine["pages"]) >= 1 and int(mine["acknowledgements"]) >= 1 and mine["mtta_seconds"] != ""
    assert float(mine["hours"]) > 0  # the primary who was paged is on call this month
    assert {row["currency"] for row in rows.values()} == {"KRW"}
