"""The public status page follows a real incident (worker status channel → SQLite store → gateway), is
rendered by headless Chromium (Debian `chromium`) and read back from the screenshot with OCR (tesseract),
Korean included. Internal severities and drills never appear; the Statuspage.io adapter speaks its API."""

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from adapters.channels.statuspage import StatuspageIoChannel
from domain.incident import decisions as d
from domain.incident.severity import Severity
from testkit.comms import comms_settings, comms_worker
from testkit.environment import PROJECT
from testkit.fakes.statuspage import FakeStatuspage
from testkit.gateway import address_of, served
from testkit.helpers import start_incident
from testkit.polling import wait_until
from workflows.incident import IncidentWorkflow

PAGE_TITLE = "GameCo 서비스 상태"


def browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is needed: apt-get install chromium fonts-noto-cjk tesseract-ocr "
                    "tesseract-ocr-kor (.ci/run does this)")
    return found


async def screenshot(url: str, path: Path, width: int = 420, height: int = 1500) -> None:
    command = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--force-device-scale-factor=2",
               f"--window-size={width},{height}", f"--screenshot={path}", url]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    await asyncio.wait_for(process.wait(), 90)
    assert path.exists(), "Chromium wrote no screenshot"


def ocr(path: Path) -> str:
    if not shutil.which("tesseract"):
        pytest.fail("tesseract is needed to read the screenshot: apt-get install tesseract-ocr tesseract-ocr-kor")
    return subprocess.run(["tesseract", str(path), "stdout", "-l", "kor+eng"], capture_output=True, text=True,
                          check=True, timeout=120).stdout


async def page_json(gateway) -> dict:
    async with gateway.http(token=None) as http:
        return (await http.get("/status.json")).json()


async def test_status_page_follows_the_incident_and_renders_in_chromium(time_env, task_queue, tmp_path):
    settings = comms_settings(tmp_path, status_page_title=PAGE_TITLE)
    client = time_env.client
    async with comms_worker(client, task_queue, settings):
        with served(address_of(client), task_queue, data_dir=tmp_path, status_page_title=PAGE_TITLE) as gateway:
            public = await start_incident(client, task_queue, Severity.SEV1, service="matchmaking",
                                          title="매칭 지연 Matchmaking delays")
            internal = await start_incident(client, task_queue, Severity.SEV2, service="friends",
                                            title="Friends list slow")
            drill = await start_incident(client, task_queue, Severity.SEV0, service="payments",
                                         title="Drill payments down", drill=True)
            public_id = public.id.removeprefix("incident-")

            async def shown():
                doc = await page_json(gateway)
                return doc if any(i["id"] == public_id for i in doc["incidents"]) else None

            doc = await wait_until(shown, "the incident on the status page")
            components = {c["name"]: c["status"] for c in doc["components"]}
            assert components["matchmaking"] == "partial_outage" and components["payments"] == "operational"
            assert doc["status"]["indicator"] == "partial_outage"
            await public.execute_update(IncidentWorkflow.decide, d.PostUpdate(
                by="seoyeon", status="identified", message="매칭 서버 과부하 확인, 증설 중"))

            async def identified():
                doc = await page_json(gateway)
                found = next(i for i in doc["incidents"] if i["id"] == public_id)
                return doc if found["status"] == "identified" else None

            doc = await wait_until(identified, "the identified update")
            shot = tmp_path / "status.png"
            await screenshot(f"{gateway.url}/status", shot)
            async with gateway.http(token=None) as http:
                html = (await http.get("/status")).text
            for handle in (public, internal, drill):
                await handle.terminate("test over")

    ids = [i["id"] for i in doc["incidents"]]
    assert ids == [public_id], "Sev2 is internal by policy and drills never reach the page"
    incident = doc["incidents"][0]
    assert [u["status"] for u in incident["updates"]] == ["identified", "investigating"]
    assert incident["next_update_by"]
    assert '<meta name="viewport"' in html and "매칭 서버 과부하 확인" in html
    text = ocr(shot)
    lines = [line for line in text.splitlines() if line.strip()]
    flat = text.replace(" ", "")
    assert "서비스상태" in flat, f"the Korean page title is not readable in the screenshot:\n{text}"
    assert "Matchmaking delays" in text and "매칭지연" in flat, text
    assert any("matchmaking" in line and "Partial outage" in line for line in lines), text
    assert any("payments" in line and "Operational" in line for line in lines), text
    assert "매칭서버과부하확인" in flat, text
    PROJECT.joinpath(".incidentflow").mkdir(exist_ok=True)
    shutil.copy(shot, PROJECT / ".incidentflow" / "status-page.png")


async def test_statuspage_io_adapter_creates_then_patches_one_incident(time_env, task_queue, tmp_path):
    with FakeStatuspage("pg1", "sp-key") as fake:  # answers 401 to any other key or page
        settings = comms_settings(tmp_path, statuspage_api_url=fake.api_url, statuspage_page_id="pg1",
                                  statuspage_api_key="sp-key")
        assert "statuspage" in settings.channels
        async with comms_worker(time_env.client, task_queue, settings) as channels:
            assert any(isinstance(c, StatuspageIoChannel) for c in channels)
            handle = await start_incident(time_env.client, task_queue, Severity.SEV0, service="game-servers")
            await wait_until(lambda: fake.processed("POST"), "the Statuspage incident")
            await handle.execute_update(IncidentWorkflow.decide, d.MarkMitigated(by="minsu"))
            await wait_until(lambda: fake.processed("PATCH"), "the PATCH")
            await handle.terminate("test over")

    assert [c.status for c in fake.calls if c.status >= 400] == []
    [created] = fake.processed("POST")
    assert created.body["status"] == "investigating"
    assert created.body["metadata"]["incidentflow"]["incident_id"] == handle.id.removeprefix("incident-")
    [incident] = fake.incidents.values()
    [patched] = fake.processed("PATCH")
    assert patched.path.endswith(f"/incidents/{incident['id']}") and incident["status"] == "monitoring"
