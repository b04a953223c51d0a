"""The `incident` CLI and a worker process against a real Temporal dev server: the story a user sees,
and a worker killed with SIGKILL while an escalation timer is pending."""

import json
import os
import signal
import time
import uuid
from datetime import datetime

import pytest

from adapters.channels import RecordingChannel
from testkit.helpers import incident
from testkit.polling import wait_until_sync
from testkit.processes import start_worker
from testkit.short_policy import write_short_policy

pytestmark = pytest.mark.slow


@pytest.fixture
def stack_env(dev_server, tmp_path):
    policy_dir = write_short_policy(tmp_path / "policy", divisor=30)  # Sev1: secondary after 10s
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_server,
        "INCIDENTFLOW_TASK_QUEUE": f"cli-{uuid.uuid4().hex[:8]}",
        "INCIDENTFLOW_POLICY_DIR": str(policy_dir),
        "INCIDENTFLOW_NOTIFY": "record",
        "INCIDENTFLOW_RECORD_FILE": str(tmp_path / "record.jsonl"),
        "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data"),
    }


def test_declare_ack_resolve_show_through_the_cli(stack_env):
    worker = start_worker(stack_env)
    try:
        declared = incident(stack_env, "declare", "--service", "payments", "--severity", "sev1",
                            "--title", "Payment errors", "--impact", "결제 실패 35%", "--by", "minsu")
        incident_id = declared.stdout.strip()
        assert incident_id.endswith(incident_id[-4:]) and "payments" in incident_id
        recorder = RecordingChannel(stack_env["INCIDENTFLOW_RECORD_FILE"])
        wait_until_sync(lambda: recorder.pages(), "the primary page", 20)

        assert "minsu acknowledged" in incident(stack_env, "ack", incident_id, "--by", "minsu").stdout
        assigned = incident(stack_env, "assign", incident_id, "--role", "comms", "--to", "jiyoung", "--by", "minsu")
        duties = "Communications Lead — duties:\n  - 인시던트 상태 페이지 업데이트\n  - 고객 지원팀과의 연락"
        assert duties in assigned.stdout
        incident(stack_env, "assign", incident_id, "--role", "ic", "--to", "jiyoung", "--by", "minsu")
        incident(stack_env, "note", incident_id, "rolled back payment-gateway", "--by", "jiyoung")
        incident(stack_env, "mitigated", incident_id, "--by", "jiyoung")
        incident(stack_env, "resolve", incident_id, "--by", "jiyoung", "--summary", "bad deploy")

        shown = json.loads(incident(stack_env, "show", incident_id, "--json").stdout)
        for key in ("id", "title", "service", "severity", "phase", "drill", "roles", "acknowledged_by", "started_at",
                    "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "pages", "checklist", "timeline"):
            assert key in shown, key
        assert shown["id"] == incident_id and shown["severity"] == "sev1"
        assert shown["phase"] == "postmortem"  # resolved; Sev1 requires a postmortem before it closes
        assert shown["roles"] == {"ic": "jiyoung", "ops": None, "comms": "jiyoung", "liaison": None, "scribe": None}
        assert shown["acknowledged_by"] == "minsu"
        assert shown["pages"][0]["tier"] == "primary" and shown["pages"][0]["target"]
        assert datetime.fromisoformat(shown["resolved_at"]).utcoffset().total_seconds() == 0
        kinds = [(t["kind"], t["actor"]) for t in shown["timeline"]]
        assert ("declared", "minsu") in kinds and ("note", "jiyoung") in kinds
        assert {"item", "done", "by", "at"} <= set(shown["checklist"][0])

        human = incident(stack_env, "show", incident_id).stdout
        assert "Payment errors" in human and "rolled back payment-gateway" in human

        listed = json.loads(incident(stack_env, "list", "--all", "--json").stdout)
        assert incident_id in [i["id"] for i in listed]

        # an invalid transition and a wrong id: one line on stderr, non-zero exit
        again = incident(stack_env, "resolve", incident_id, "--by", "jiyoung", check=False)
        assert again.returncode != 0
        assert again.stderr.strip() == f"error: rejected: incident {incident_id} is already postmortem; " \
                                       "resolve no longer applies"
        missing = incident(stack_env, "ack", "no-such-incident", "--by", "x", check=False)
        assert missing.returncode != 0 and "no incident 'no-such-incident'" in missing.stderr
        bad_severity = incident(stack_env, "declare", "--service", "x", "--severity", "sev9", "--title", "t",
                                "--by", "u", check=False)
        assert bad_severity.returncode == 2 and "unknown severity 'sev9'" in bad_severity.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_unreachable_server_gives_one_clear_line():
    env = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:1"}
    result = incident(env, "list", check=False)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: cannot reach Temporal at 127.0.0.1:1")
    assert "Traceback" not in result.stderr


def test_killed_worker_still_pages_once_and_never_early(stack_env):
    """The secondary page survives its worker: the restarted worker sends it, once, not before its deadline.
    How late it may be after a restart is measured by bench/chaos/crash.py (docs/reliability.md, R1)."""
    recorder = RecordingChannel(stack_env["INCIDENTFLOW_RECORD_FILE"])
    worker = start_worker(stack_env)
    try:
        incident_id = incident(stack_env, "declare", "--service", "matchmaking", "--severity", "sev1",
                               "--title", "Matchmaking down", "--by", "minsu").stdout.strip()
        wait_until_sync(lambda: recorder.pages(), "the primary page", 20)
        worker.send_signal(signal.SIGKILL)  # the 10 s acknowledgement timer is pending now
        worker.wait()
        time.sleep(2)
        restarted_at = time.time()
        worker = start_worker(stack_env)
        wait_until_sync(lambda: len(recorder.pages()) >= 2, "the secondary page after the restart", 40)
        time.sleep(3)  # nothing more may arrive for it
        shown = json.loads(incident(stack_env, "show", incident_id, "--json").stdout)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    pages = recorder.pages()
    assert [p["tier"] for p in pages] == ["primary", "secondary"]
    assert pages[1]["recorded_at"] > restarted_at  # sent by the restarted worker, not lost with the killed one
    detected = datetime.fromisoformat(shown["detected_at"])
    secondary = next(p for p in shown["pages"] if p["tier"] == "secondary")
    assert secondary["reason"].startswith("not acknowledged within")  # the acknowledgement deadline, not a rule
    assert (datetime.fromisoformat(secondary["at"]) - detected).total_seconds() >= 10  # not before the deadline
