"""The drill scorecard from an incident's structured records (`domain.drills.scoring.scorecard`), without
Temporal: phase changes (forward, and back when an alert fires again), pages, escalations, metrics, the
checklist, runbook runs, and how expectations are judged."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.alerts.handling import AlertSnapshot, merge_snapshot
from domain.drills.scenario import Scenario
from domain.drills.scoring import scorecard
from domain.incident import decision_rules as rules
from domain.incident import decisions as d
from domain.incident.lifecycle import new_incident
from domain.incident.phase_changes import advance, phase_changes
from domain.incident.phases import Phase, PhaseChange
from domain.incident.severity import Role, Tier
from domain.incident.state import Alert, Escalation, IncidentStart, Page
from domain.runbooks.status import RunbookRunInfo

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LABELS = {"alertname": "FriendsListErrors", "service": "friends", "severity": "warning"}
SCENARIO = {
    "name": "friends", "description": "friends list fails", "start": {"alert": {"labels": LABELS}},
    "events": [{"at": "10m", "do": "acknowledge", "by": "hyunwoo"}, {"at": "45m", "do": "resolve", "by": "hyunwoo"}],
}


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def alerts(status: str) -> AlertSnapshot:
    return AlertSnapshot(source="alertmanager", alerts=[Alert(fingerprint="f1", status=status, labels=LABELS)])


@pytest.fixture
def played(policy):
    """The incident a drill leaves behind: mitigated by its alert at 5m, reopened at 8m, then worked to the end."""
    start = IncidentStart(id="drill-1", title="friends", service="friends", declared_by="alertmanager",
                          source="drill", drill=True, alerts=[Alert(fingerprint="f1", labels=LABELS)])
    state = new_incident(policy, start, T0)
    state.pages.append(Page(tier=Tier.PRIMARY, target="hyunwoo", at=T0, reason="new incident", key="page:initial"))
    merge_snapshot(policy, state, alerts("resolved"), minutes(5))
    merge_snapshot(policy, state, alerts("firing"), minutes(8))
    for at, decision in ((10, d.Acknowledge(by="hyunwoo")),
                         (11, d.AssignRole(role=Role.IC, to="hyunwoo", by="hyunwoo")),
                         (20, d.StartMitigation(by="hyunwoo")), (45, d.Resolve(by="hyunwoo"))):
        rules.check(state, decision)
        rules.apply(state, decision, minutes(at))
    advance(state, Phase.POSTMORTEM, minutes(45), "incidentflow")
    state.escalations.append(Escalation(rule="ack-timeout", tier=Tier.SECONDARY, at=minutes(15), paged=True))
    state.pages.append(Page(tier=Tier.SECONDARY, target="seoyeon", at=minutes(15), reason="not acknowledged",
                            key="rule:ack-timeout"))
    state.runbooks.append(RunbookRunInfo(runbook="friends-cache", status="succeeded", started_by="hyunwoo",
                                         at=minutes(21), detail="cache rebuilt"))
    return state


def test_phase_changes_are_every_change_in_order_back_and_forth(played):
    assert phase_changes(played) == [
        PhaseChange(phase=Phase.MITIGATED, at=minutes(5)), PhaseChange(phase=Phase.DETECTED, at=minutes(8)),
        PhaseChange(phase=Phase.TRIAGED, at=minutes(10)), PhaseChange(phase=Phase.MITIGATING, at=minutes(20)),
        PhaseChange(phase=Phase.RESOLVED, at=minutes(45)), PhaseChange(phase=Phase.POSTMORTEM, at=minutes(45)),
    ]


def test_advance_never_goes_back_and_stamps_the_first_arrival(played):
    before = list(played.timeline)
    advance(played, Phase.MITIGATED, minutes(50), "minsu")
    assert played.timeline == before and played.resolved_at == minutes(45)


def test_the_scorecard_reads_phases_pages_escalations_and_metrics(policy, played):
    scenario = Scenario.model_validate(SCENARIO)
    card = scorecard(scenario, played, T0, policy)
    assert [(p.phase, p.at_seconds) for p in card.phases] == [
        (Phase.DETECTED, 0), (Phase.MITIGATED, 300), (Phase.DETECTED, 480), (Phase.TRIAGED, 600),
        (Phase.MITIGATING, 1200), (Phase.RESOLVED, 2700), (Phase.POSTMORTEM, 2700)]
    assert [(p.tier, p.target, p.at_seconds) for p in card.pages] == [
        (Tier.PRIMARY, "hyunwoo", 0), (Tier.SECONDARY, "seoyeon", 900)]
    assert [(e.rule, e.paged, e.at_seconds) for e in card.escalations] == [("ack-timeout", True, 900)]
    assert (card.mtta_seconds, card.mttm_seconds, card.mttr_seconds) == (600, None, 2700)
    assert card.final_phase == Phase.POSTMORTEM and card.duration_seconds == 2700
    assert card.targets.ack_seconds == policy.severity(played.severity).response_time.total_seconds()
    assert [(r.runbook, r.status, r.at_seconds) for r in card.runbooks] == [("friends-cache", "succeeded", 1260)]
    ic = next(c for c in card.checklist if c.item == "ic-named")
    assert (ic.done_at_seconds, ic.by, ic.late) == (660, "hyunwoo", False)
    assert next(c for c in card.checklist if c.item == "impact-scoped").late  # never done
    assert card.passed and card.expectations == []  # nothing expected, nothing to fail


def test_a_live_drill_reports_scenario_time(policy, played):
    card = scorecard(Scenario.model_validate(SCENARIO), played, T0, policy, speed=60, mode="live")
    assert [p.at_seconds for p in card.phases][:3] == [0, 300 * 60, 480 * 60]
    assert (card.mode, card.mtta_seconds) == ("live", 600 * 60)


def test_expectations_pass_and_fail_against_the_structured_records(policy, played):
    expect = {"pages": [{"tier": "primary", "target": "hyunwoo", "at": "0m"}], "escalations": [],
              "max_mtta": "15m", "max_mttr": "1h", "final_phase": "resolved", "late_checklist": ["ic-named"],
              "runbooks": {"friends-cache": "succeeded"}}
    card = scorecard(Scenario.model_validate({**SCENARIO, "expect": expect}), played, T0, policy)
    verdicts = {(e.what, e.passed) for e in card.expectations}
    assert {("page", True), ("mtta", True), ("mttr", True), ("runbook friends-cache", True)} <= verdicts
    failed = {e.what: e.actual for e in card.expectations if not e.passed}
    assert failed == {"no other pages": "secondary seoyeon at 15m", "no other escalations": "ack-timeout at 15m",
                      "final phase": "postmortem",
                      "late checklist items": "comms-drafted, comms-named, impact-assessed, impact-scoped, "
                                              "ops-named, recovery-planned, rollback-checked, scribe-named, "
                                              "stakeholders-notified, status-checked"}
    assert not card.passed
