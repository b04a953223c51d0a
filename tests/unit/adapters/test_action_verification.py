"""Action items are verified, not only done (seed 000: 개선 계획 수립 → 실행 및 검증): the ledger (migration 9),
`incident action verify` as a user types it, and the reviews counting both."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.stores.ledger import Ledger
from adapters.stores.ledger_engine import LedgerError
from adapters.stores.ledger_migrations import LATEST
from domain.learning.report_markdown import render_markdown
from domain.learning.reports import build_report, parse_period
from testkit.environment import PROJECT
from testkit.learning import NOW, PERIOD, fixture_states

AT = datetime(2026, 11, 18, 3, tzinfo=UTC)


def test_done_then_verified_with_evidence(ledger, policy):
    state = fixture_states(policy)["A"]
    ledger.record_incident(state, "fixture", state.detected_at)
    item = ledger.add_action("A", "Autoscale fleet", "minsu", date(2026, 11, 30), "mid", "minsu", AT)
    with pytest.raises(LedgerError, match=f"action item {item.id} is not done yet"):
        ledger.verify_action(item.id, "jiyoung", "load test", AT)
    ledger.complete_action(item.id, "minsu", AT)
    verified = ledger.verify_action(item.id, "jiyoung", "load test at 3x: fleet scaled in 40 s", AT + timedelta(days=1))
    assert (verified.status, verified.verified, verified.verified_by) == ("done", True, "jiyoung")
    assert verified.evidence == "load test at 3x: fleet scaled in 40 s"
    assert verified.model_dump(mode="json")["verified_at"].startswith("2026-11-19")
    with pytest.raises(LedgerError, match="already verified by jiyoung"):
        ledger.verify_action(item.id, "minsu", "again", AT)
    assert LATEST >= 9


def run_cli(env, *args):
    return subprocess.run([sys.executable, "-m", "cli.main", "action", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_verify_command(tmp_path, policy):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    store = Ledger(url)
    state = fixture_states(policy)["A"]
    store.record_incident(state, "fixture", state.detected_at)
    item = store.add_action("A", "Autoscale fleet", "minsu", date(2026, 11, 30), "mid", "minsu", AT)
    store.dispose()
    env = {**os.environ, "INCIDENTFLOW_DATABASE_URL": url, "INCIDENTFLOW_DATA_DIR": str(tmp_path)}

    early = run_cli(env, "verify", str(item.id), "--evidence", "graph", "--by", "jiyoung")
    assert early.returncode == 1 and f"action item {item.id} is not done yet" in early.stderr
    assert run_cli(env, "verify", str(item.id), "--evidence", " ", "--by", "jiyoung").returncode == 2
    store = Ledger(url)  # `incident action done` also signals the item's workflow: the ledger is what counts here
    store.complete_action(item.id, "minsu", AT)
    store.dispose()
    ok = run_cli(env, "verify", str(item.id), "--evidence", "load test passed", "--by", "jiyoung")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"#{item.id} verified by jiyoung: Autoscale fleet — load test passed"
    listed = run_cli(env, "list", "--json")
    assert '"evidence": "load test passed"' in listed.stdout and '"verified_by": "jiyoung"' in listed.stdout
    assert "verified" in run_cli(env, "list").stdout


def test_the_review_counts_done_and_verified(ledger, policy):
    states = fixture_states(policy)
    for state in states.values():
        ledger.record_incident(state, "fixture", state.detected_at)
    done = ledger.add_action("A", "Autoscale fleet", "minsu", date(2026, 11, 30), "mid", "minsu", NOW)
    checked = ledger.add_action("A", "Canary", "minsu", date(2026, 11, 30), "short", "minsu", NOW)
    for item in (done, checked):
        ledger.complete_action(item.id, "minsu", NOW - timedelta(days=2))
    ledger.verify_action(checked.id, "jiyoung", "canary caught a bad push", NOW - timedelta(days=1))
    period = parse_period("weekly", PERIOD, policy.incident.timezone, NOW)
    report = build_report(policy, period, ledger.incidents(), 0, {}, [], ledger.actions(), NOW)
    assert (report.actions_done, report.actions_verified, report.actions_unverified) == (2, 1, 1)
    assert "- verified in period: 1 · done, not verified: 1" in render_markdown(report).splitlines()
