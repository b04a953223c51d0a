"""`python -m bench --quick`: every scenario runs on a real stack (dev server, worker, gateway subprocesses)
and its invariants hold — counts and no duplicates. Timings are the benchmark's business, never a test's."""

import json
import subprocess
import sys

from bench import report
from bench.runner import SCENARIOS
from testkit.environment import PROJECT


def test_every_quick_scenario_runs_and_keeps_its_invariants(tmp_path):
    finished = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)], cwd=PROJECT,
                              capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-5000:]
    [result_file] = tmp_path.glob("*-quick.json")
    document = json.loads(result_file.read_text())
    scenarios = document["scenarios"]
    assert set(scenarios) == set(SCENARIOS)
    assert report.broken_invariants(document) == []

    latency = scenarios["alert_to_page"]
    assert latency["invariants"]["incidents_paged"] == latency["invariants"]["expected"] > 0
    assert latency["alert_to_page"]["latency"]["n"] == latency["floor"]["latency"]["n"] > 0

    storm = scenarios["storm"]
    assert storm["invariants"]["incidents"] == storm["invariants"]["expected"] == 10
    assert storm["invariants"]["lost_alerts"] == 0 and storm["invariants"]["alerts_in_incidents"] == storm["alerts"]
    assert storm["invariants"]["duplicate_pages"] == 0
    assert storm["duplicate_answers"] == storm["notifications"]  # each HA twin answered `duplicate`
    # counted by the server: the outbox may merge queued snapshots of a group, never call more than once each
    assert 0 < storm["temporal_calls"] <= storm["distinct_snapshots"]

    paced = scenarios["storm_paced"]  # the same storm open-loop: the same invariants
    assert paced["invariants"]["incidents"] == paced["invariants"]["expected"] == 10
    assert paced["invariants"]["lost_alerts"] == 0 and paced["invariants"]["duplicate_pages"] == 0
    assert paced["duplicate_answers"] == paced["notifications"] and paced["requests"] == 2 * paced["notifications"]
    assert 0 < paced["temporal_calls"] <= paced["distinct_snapshots"]

    sweep = scenarios["storm_sweep"]  # the closed loop again at each in-flight count, a fresh stack each
    assert [level["in_flight"] for level in sweep["levels"]] == [2, 8]
    for level in sweep["levels"]:
        assert level["invariants"]["incidents"] == level["invariants"]["expected"] == 10
        assert level["invariants"]["lost_alerts"] == level["invariants"]["duplicate_pages"] == 0
        assert level["requests"] == 2 * storm["notifications"] and level["gateway_measured"]["n"] == level["requests"]

    opened = scenarios["open_incidents"]
    assert opened["invariants"]["escalated"] == opened["incidents"] == opened["invariants"]["incidents_open"]
    assert opened["escalation_lateness"]["n"] == opened["incidents"]

    drills = scenarios["drills"]
    assert drills["synthetic_48h"]["simulated_hours"] == 48
    assert drills["synthetic_48h"]["pages"] > 0

    table = (tmp_path / result_file.name.replace(".json", ".md")).read_text()
    assert "| figure | measured | floor (same run) |" in table and "synthetic 48-hour" in table


def test_broken_invariants_are_reported():
    document = {"scenarios": {
        "storm": {"invariants": {"incidents": 51, "expected": 50, "incidents_started_twice": 0, "lost_alerts": 3,
                                 "duplicate_pages": 0}},
        "drills": {"error": "RuntimeError: no test server"},
    }}
    assert report.broken_invariants(document) == [
        "storm: incidents: 51, expected 50", "storm: lost alerts: 3, expected 0",
        "drills: RuntimeError: no test server",
    ]
