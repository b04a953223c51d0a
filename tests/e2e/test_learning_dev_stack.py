"""Issue 7 end to end on the dev stack: a real Temporal dev server, a worker process on a short policy (the
postmortem deadline is 45 s), and the `incident` CLI as a user types it. A few incidents are declared,
acknowledged and resolved; one postmortem is published with action items, one misses its deadline; then
`incident report weekly` must show exactly those incidents, the miss, and a real PNG chart."""

import json
import struct
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from adapters.channels import RecordingChannel
from adapters.policy_files import INCIDENT_FILE
from testkit.gateway import TOKEN, served
from testkit.helpers import incident
from testkit.polling import wait_until_sync
from testkit.processes import start_worker
from testkit.short_policy import write_short_policy

pytestmark = pytest.mark.slow

DEADLINE = 45  # seconds: the postmortem deadline of this policy (48 h in the shipped one)


@pytest.fixture
def learning_env(dev_server, tmp_path):
    import os
    import uuid

    policy_dir = write_short_policy(tmp_path / "policy", divisor=30)
    path = policy_dir / INCIDENT_FILE
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["learning"]["postmortem"].update(deadline=f"{DEADLINE}s", remind_before=["20s"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "TEMPORAL_ADDRESS": dev_server, "INCIDENTFLOW_TASK_QUEUE": f"learn-{uuid.uuid4().hex[:8]}",
           "INCIDENTFLOW_POLICY_DIR": str(policy_dir), "INCIDENTFLOW_NOTIFY": "record",
           "INCIDENTFLOW_RECORD_FILE": str(tmp_path / "record.jsonl"), "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data")}
    env.pop("INCIDENTFLOW_DATABASE_URL", None)  # the default ledger: SQLite in the data dir
    return env


def declare(env, service: str, severity: str, title: str) -> str:
    return incident(env, "declare", "--service", service, "--severity", severity, "--title", title,
                    "--by", "minsu").stdout.strip()


def show(env, incident_id: str) -> dict:
    return json.loads(incident(env, "show", incident_id, "--json").stdout)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_incidents_postmortems_action_items_and_the_weekly_review_on_the_dev_stack(learning_env, tmp_path):
    env = learning_env
    recorder = RecordingChannel(env["INCIDENTFLOW_RECORD_FILE"])
    worker = start_worker(env)
    try:
        # A: Sev1, postmortem published on time, two action items (one done)
        a = declare(env, "payments", "sev1", "Payment errors")
        wait_until_sync(lambda: [p for p in recorder.pages() if p["incident_id"] == a], "the page for A", 30)
        incident(env, "ack", a, "--by", "minsu")
        incident(env, "assign", a, "--role", "ic", "--to", "jiyoung", "--by", "minsu")
        assert show(env, a)["compliance"] is None  # still open: no score yet
        incident(env, "resolve", a, "--by", "jiyoung", "--summary", "rolled back the bad deploy")
        draft = wait_until_sync(lambda: _postmortem(env, a), "A's postmortem draft", 30)
        assert (draft["status"], draft["owner"]) == ("draft", "jiyoung")
        resolved_a = show(env, a)
        assert datetime.fromisoformat(draft["deadline"]) - datetime.fromisoformat(resolved_a["resolved_at"]) == \
            timedelta(seconds=DEADLINE)
        text = incident(env, "postmortem", "show", a).stdout
        assert "Payment errors" in text and "minsu acknowledged" in text and "rolled back the bad deploy" in text
        assert Path(draft["path"]).read_text(encoding="utf-8").strip() == text.strip()  # the file in the data dir

        due = (date.today() + timedelta(days=14)).isoformat()
        first = incident(env, "action", "add", a, "--title", "Canary for payment deploys", "--owner", "jiyoung",
                         "--due", due, "--term", "short", "--by", "minsu").stdout.strip()
        second = incident(env, "action", "add", a, "--title", "Split the payment gateway", "--owner", "hyunwoo",
                          "--due", due, "--term", "long", "--by", "minsu").stdout.strip()
        assert f"#{first} done by jiyoung: Canary for payment deploys" in incident(
            env, "action", "done", first, "--by", "jiyoung").stdout
        open_items = json.loads(incident(env, "action", "list", "--open", "--json").stdout)
        assert [(i["id"], i["owner"], i["term"], i["due"]) for i in open_items] == [
            (int(second), "hyunwoo", "long", due)]
        assert [i["title"] for i in json.loads(incident(env, "action", "list", "--owner", "jiyoung", "--json").stdout)
                ] == ["Canary for payment deploys"]
        again = incident(env, "action", "done", first, "--by", "minsu", check=False)
        assert again.returncode != 0 and f"action item {first} was already done by jiyoung" in again.stderr

        refused = incident(env, "postmortem", "publish", a, "--by", "jiyoung", "--root-cause", "deploy", check=False)
        assert refused.returncode == 1 and "still has template text in: Root cause" in refused.stderr
        published = incident(env, "postmortem", "publish", a, "--by", "jiyoung", "--root-cause", "deploy",
                             "--force").stdout
        assert f"{a}: postmortem published by jiyoung (on time); incident closed" in published
        twice = incident(env, "postmortem", "publish", a, "--by", "jiyoung", check=False)
        assert twice.returncode != 0 and "already published by jiyoung" in twice.stderr
        closed = wait_until_sync(lambda: (s := show(env, a))["phase"] == "closed" and s, "A closed by the publication",
                                 30)
        steps = {s["item"]: s for s in closed["compliance"]["steps"]}
        assert steps["postmortem"]["ok"] is True and steps["postmortem"]["detail"] == "published by jiyoung"
        decided = [s["ok"] for s in closed["compliance"]["steps"] if s["ok"] is not None]
        assert closed["compliance"]["score"] == pytest.approx(sum(decided) / len(decided))

        # B: Sev2, resolved, its postmortem never published → the deadline passes
        b = declare(env, "game-server", "sev2", "Match server crash loop")
        wait_until_sync(lambda: [p for p in recorder.pages() if p["incident_id"] == b], "the page for B", 30)
        incident(env, "ack", b, "--by", "jiyoung")
        incident(env, "resolve", b, "--by", "jiyoung", "--summary", "restarted the fleet")
        wait_until_sync(lambda: _postmortem(env, b), "B's postmortem draft", 30)

        # C: Sev3, no postmortem required; closed by hand
        c = declare(env, "friends", "sev3", "Friend list slow")
        incident(env, "ack", c, "--by", "hyunwoo")
        incident(env, "resolve", c, "--by", "hyunwoo", "--summary", "cache warmed")
        incident(env, "close", c, "--by", "hyunwoo")
        assert show(env, c)["compliance"]["steps"] and "postmortem" not in {
            s["item"] for s in show(env, c)["compliance"]["steps"]}

        missed = wait_until_sync(lambda: [m for m in recorder.read() if m["type"] == "message" and m["incident_id"] == b
                                          and "missed its 45s deadline" in m["text"]],
                                 "B's missed-deadline notice", DEADLINE + 40)
        assert "tertiary on-call" in missed[0]["text"]
        b_shown = show(env, b)
        b_steps = {s["item"]: s for s in b_shown["compliance"]["steps"]}
        assert (b_steps["postmortem"]["ok"], b_steps["postmortem"]["detail"]) == (False, "deadline missed")

        # the REST API answers with the very same JSON, compliance included
        with served(env["TEMPORAL_ADDRESS"], env["INCIDENTFLOW_TASK_QUEUE"], policy_dir=Path(
                env["INCIDENTFLOW_POLICY_DIR"]), data_dir=Path(env["INCIDENTFLOW_DATA_DIR"])) as gateway:
            for incident_id, expected in ((a, show(env, a)), (b, b_shown)):
                answer = httpx.get(f"{gateway.url}/api/incidents/{incident_id}", timeout=30,
                                   headers={"Authorization": f"Bearer {TOKEN}"})
                assert answer.status_code == 200, answer.text
                assert answer.json() == expected
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    # The review (the worker is gone: the report reads the ledger only), for the week the incidents started in
    started = datetime.fromisoformat(resolved_a["started_at"]).astimezone(ZoneInfo("Asia/Seoul"))
    week = f"{started.isocalendar().year}-W{started.isocalendar().week:02d}"
    out = tmp_path / "review"
    report = json.loads(incident(env, "report", "weekly", "--period", week, "--json", "--out", str(out)).stdout)
    assert {row["id"] for row in report["incidents"]} == {a, b, c}
    assert report["by_severity"] == {"sev0": 0, "sev1": 1, "sev2": 1, "sev3": 1}
    assert report["by_service"] == {"payments": 1, "game-server": 1, "friends": 1}
    assert report["by_type"]["deploy"] == 1
    assert (report["postmortems_required"], report["postmortems_on_time"], report["postmortems_late"]) == (2, 1, 0)
    assert report["postmortems_missed"] == [b]
    assert (report["actions_open"], report["actions_done"]) == (1, 1)
    rows = {row["id"]: row for row in report["incidents"]}
    assert rows[a]["root_cause"] == "deploy" and rows[a]["mtta"] is not None and rows[a]["mttr"] is not None
    assert rows[b]["compliance"] < 1

    markdown = Path(report["markdown_path"]).read_text(encoding="utf-8")
    assert Path(report["markdown_path"]).parent == out
    assert f"❗ `{b}`: deadline missed, still unpublished" in markdown
    assert a in markdown and c in markdown
    width, height = png_size(Path(report["chart_path"]))
    assert width > 300 and height > 200

    human = incident(env, "report", "weekly", "--period", week, "--out", str(out)).stdout
    assert f"written: {out / f'incident-review-{week}.md'}" in human


def _postmortem(env, incident_id: str) -> dict | None:
    result = incident(env, "postmortem", "show", incident_id, "--json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None

