"""Metrics on the hand-computed fixture (testkit/learning.py), with the edge cases."""

from datetime import timedelta

from domain.incident.severity import Severity
from domain.learning import metrics
from testkit.learning import fixture_records

M = timedelta(minutes=1)
H = timedelta(hours=1)


def real(policy):
    return [r for r in fixture_records(policy) if not r.drill]


def in_w47(policy):
    return [r for r in real(policy) if r.id in "ABCDE"]


def test_mttd_mtta_mttr_per_severity_match_the_hand_computation(policy):
    stats = metrics.by_severity(in_w47(policy))
    sev0, sev1, sev2, sev3 = (stats[s] for s in Severity)
    assert (sev0.count, sev0.mttd, sev0.mtta, sev0.mttr) == (2, timedelta(seconds=90), 2 * M, 15 * M)
    # C was never acknowledged (left out of MTTA); D is still open (left out of MTTR)
    assert (sev1.count, sev1.mttd, sev1.mtta, sev1.mttr) == (2, 5 * M, 2 * M, 40 * M)
    assert (sev1.acknowledged, sev1.resolved) == (1, 1)
    assert (sev2.mttd, sev2.mtta, sev2.mttr) == (10 * M, 5 * M, H)
    assert (sev3.count, sev3.mttd, sev3.mtta, sev3.mttr) == (0, None, None, None)


def test_mtbf_uses_the_previous_incident_of_the_same_service_even_before_the_period(policy):
    per_service, overall = metrics.mtbf(in_w47(policy), real(policy))
    assert per_service["game-servers"] == 48 * H
    assert per_service["payments"] == (1848 * H + 50 * H) / 2
    assert per_service["friends"] is None  # one incident: no MTBF
    assert overall == (48 * H + 1848 * H + 50 * H) / 3


def test_recurrence_by_root_cause_or_alert_and_service_within_the_window(policy):
    found = metrics.recurrences(in_w47(policy), real(policy), timedelta(days=90))
    assert {k: (v.of, v.reason) for k, v in found.items()} == {
        "B": ("A", "alert GameServerDown on game-servers"), "C": ("G", "root-cause category deploy")}
    assert metrics.recurrence_rate(in_w47(policy), found) == 2 / 5
    # G started 77 days before C: a 60-day window no longer links them
    assert set(metrics.recurrences(in_w47(policy), real(policy), timedelta(days=60))) == {"B"}


def test_targets_come_from_the_policy(policy):
    records = in_w47(policy)
    stats = metrics.by_severity(records)
    _, overall = metrics.mtbf(records, real(policy))
    rate = metrics.recurrence_rate(records, metrics.recurrences(records, real(policy), timedelta(days=90)))
    checks = {(c.metric, c.scope): c.passed for c in metrics.target_checks(policy, stats, overall, rate)}
    assert checks == {
        ("MTTD", "sev0"): False, ("MTTD", "sev1"): True, ("MTTR", "sev0"): True, ("MTTR", "sev1"): False,
        ("MTBF", "per service"): False, ("Recurrence rate", "all"): False,
    }


def test_edge_cases_zero_incidents_and_a_single_incident(policy):
    stats = metrics.by_severity([])
    assert all(s.count == 0 and s.mttr is None for s in stats.values())
    assert metrics.mtbf([], []) == ({}, None)
    assert metrics.recurrence_rate([], {}) is None
    checks = metrics.target_checks(policy, stats, None, None)
    assert all(c.passed is None for c in checks)  # no data is neither pass nor fail
    (only,) = [r for r in real(policy) if r.id == "E"]
    assert metrics.mtbf([only], [only]) == ({"friends": None}, None)


def test_an_impact_start_after_detection_counts_as_zero_not_negative(policy):
    (a,) = [r for r in real(policy) if r.id == "A"]
    skewed = a.model_copy(update={"started_at": a.detected_at + M})
    assert metrics.time_to_detect([skewed]) == [timedelta(0)]
