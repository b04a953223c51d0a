"""Every decision kind as a pure rule (`domain.incident.decision_rules.check` / `apply`), without Temporal: what it
changes, what the timeline says, and when it is refused."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.incident import decision_rules as rules
from domain.incident import decisions as d
from domain.incident.lifecycle import new_incident
from domain.incident.phase_changes import advance
from domain.incident.phases import Phase
from domain.incident.severity import Role, Severity, Tier
from domain.incident.state import IncidentStart, Page
from domain.runbooks.status import GatedStep, RunbookRunInfo

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)


@pytest.fixture
def state(policy):
    start = IncidentStart(id="inc-1", title="Payment errors", service="payments", severity=Severity.SEV2,
                          declared_by="minsu")
    return new_incident(policy, start, T0)


def applied(state, decision):
    rules.check(state, decision)
    return rules.apply(state, decision, LATER)


def test_acknowledge_triages_and_a_second_one_is_refused(state):
    result = applied(state, d.Acknowledge(by="jiyoung"))
    assert (state.phase, state.acknowledged_by, state.acknowledged_at) == (Phase.TRIAGED, "jiyoung", LATER)
    assert result.text == "jiyoung acknowledged" and state.timeline[-1].actor == "jiyoung"
    with pytest.raises(d.DecisionRejected, match="already acknowledged by jiyoung"):
        rules.check(state, d.Acknowledge(by="minsu"))


def test_assign_role_sets_it_and_ticks_its_checklist_item(state):
    result = applied(state, d.AssignRole(role=Role.IC, to="jiyoung", by="minsu"))
    assert state.roles.ic == "jiyoung" and result.text == "jiyoung is now ic (assigned by minsu)"
    assert next(c for c in state.checklist if c.item == "ic-named").done
    with pytest.raises(d.DecisionRejected, match="already holds ic"):
        rules.check(state, d.AssignRole(role=Role.IC, to="jiyoung", by="minsu"))


def test_set_severity_changes_it_and_the_same_one_is_refused(state):
    assert applied(state, d.SetSeverity(severity=Severity.SEV0, by="minsu")).text == "severity sev2 → sev0 by minsu"
    assert state.severity == Severity.SEV0
    with pytest.raises(d.DecisionRejected, match="already sev0"):
        rules.check(state, d.SetSeverity(severity=Severity.SEV0, by="minsu"))


def test_a_note_is_a_note_in_the_timeline(state):
    applied(state, d.AddNote(text="rolled back payment-gateway 1.4.2", by="minsu"))
    assert (state.timeline[-1].kind, state.timeline[-1].text) == ("note", "rolled back payment-gateway 1.4.2")


def test_mitigation_then_mitigated_then_resolve_then_close(state):
    applied(state, d.StartMitigation(by="minsu"))
    assert state.phase == Phase.MITIGATING and state.mitigating_at == LATER
    with pytest.raises(d.DecisionRejected, match="already mitigating"):
        rules.check(state, d.StartMitigation(by="minsu"))
    applied(state, d.MarkMitigated(by="minsu"))
    assert state.phase == Phase.MITIGATED
    with pytest.raises(d.DecisionRejected, match="resolve it before closing"):
        rules.check(state, d.Close(by="minsu"))
    assert applied(state, d.Resolve(by="minsu", summary="bad deploy")).text == "minsu resolved the incident: bad deploy"
    assert (state.phase, state.summary) == (Phase.RESOLVED, "bad deploy")
    for open_only in (d.Acknowledge(by="x"), d.EscalateNow(by="x"), d.SetSeverity(severity=Severity.SEV1, by="x")):
        with pytest.raises(d.DecisionRejected, match="no longer applies"):
            rules.check(state, open_only)
    applied(state, d.Close(by="minsu"))
    assert state.phase == Phase.CLOSED and state.closed_at == LATER
    with pytest.raises(d.DecisionRejected, match="is closed"):
        rules.check(state, d.AddNote(text="late", by="minsu"))


def test_mark_mitigated_straight_from_detected_and_not_twice(state):
    assert applied(state, d.MarkMitigated(by="minsu")).text == "minsu marked the incident mitigated"
    assert (state.phase, state.mitigated_at, state.mitigating_at) == (Phase.MITIGATED, LATER, None)
    with pytest.raises(d.DecisionRejected, match="already mitigated"):
        rules.check(state, d.MarkMitigated(by="minsu"))
    with pytest.raises(d.DecisionRejected, match="already mitigated"):
        rules.check(state, d.StartMitigation(by="minsu"))


def test_acknowledging_after_mitigation_started_keeps_the_phase(state):
    applied(state, d.StartMitigation(by="minsu"))
    applied(state, d.Acknowledge(by="jiyoung"))
    assert (state.phase, state.acknowledged_at) == (Phase.MITIGATING, LATER)
    assert [t.text for t in state.timeline if t.kind == "phase"] == ["detected → mitigating"]


def test_close_waits_for_the_postmortem_and_publishing_closes(state):
    applied(state, d.Resolve(by="minsu"))
    advance(state, Phase.POSTMORTEM, LATER, "incidentflow")
    with pytest.raises(d.DecisionRejected, match="postmortem is due"):
        rules.check(state, d.Close(by="minsu"))
    assert applied(state, d.PublishPostmortem(by="jiyoung")).text == "jiyoung published the postmortem; incident closed"
    assert state.phase == Phase.CLOSED


def test_publish_postmortem_outside_its_phase_and_from_outside_are_refused(state):
    with pytest.raises(d.DecisionRejected, match="not waiting for a postmortem"):
        rules.check(state, d.PublishPostmortem(by="mallory"))
    with pytest.raises(d.DecisionRejected, match="incidentflow's own decision"):
        d.check_from_outside(d.PublishPostmortem(by="mallory"))
    d.check_from_outside(d.Acknowledge(by="minsu"))  # people's decisions pass


def test_escalate_now_is_recorded_and_refused_past_the_top(state):
    applied(state, d.EscalateNow(by="minsu", reason="need the DB team"))
    assert state.manual_escalations == [LATER]
    assert state.timeline[-1].text == "minsu escalated manually: need the DB team"
    state.pages.append(Page(tier=Tier.EXECUTIVE, target="cto", at=LATER, reason="rule", key="k"))
    with pytest.raises(d.DecisionRejected, match="every tier up to executive"):
        rules.check(state, d.EscalateNow(by="minsu"))


def test_check_item_ticks_a_known_item_once(state):
    applied(state, d.CheckItem(item="impact-scoped", by="minsu"))
    entry = next(c for c in state.checklist if c.item == "impact-scoped")
    assert (entry.done, entry.by, entry.at) == (True, "minsu", LATER)
    with pytest.raises(d.DecisionRejected, match="was done by minsu"):
        rules.check(state, d.CheckItem(item="impact-scoped", by="minsu"))
    with pytest.raises(d.DecisionRejected, match="no checklist item 'nope'"):
        rules.check(state, d.CheckItem(item="nope", by="minsu"))


def test_post_update_resets_the_comms_clock(state):
    applied(state, d.PostUpdate(status="identified", message="DB pool exhausted", by="jiyoung"))
    assert state.last_comms_update_at == LATER and state.status_updates[-1].status == "identified"
    assert state.timeline[-1].text == "update (identified): DB pool exhausted"


def with_a_waiting_step(state):
    gate = GatedStep(id="restart-fleet", state="waiting")
    state.runbooks.append(RunbookRunInfo(runbook="fleet-down", workflow_id="wf", status="running", at=T0,
                                         gates=[gate]))
    return gate


def test_approve_and_reject_need_a_waiting_step(state):
    gate = with_a_waiting_step(state)
    assert applied(state, d.ApproveStep(step="restart-fleet", by="jiyoung")).text == (
        "jiyoung approved step restart-fleet of runbook fleet-down")
    assert (gate.state, gate.by) == ("approved", "jiyoung")
    with pytest.raises(d.DecisionRejected):
        rules.check(state, d.RejectStep(step="restart-fleet", reason="too late", by="minsu"))


def test_reject_step_refuses_the_waiting_step_with_its_reason(state):
    gate = with_a_waiting_step(state)
    assert applied(state, d.RejectStep(step="restart-fleet", reason="wrong region", by="minsu")).text == (
        "minsu rejected step restart-fleet of runbook fleet-down: wrong region")
    assert (gate.state, gate.by) == ("rejected", "minsu")
    with pytest.raises(d.DecisionRejected):
        rules.check(state, d.ApproveStep(step="restart-fleet", by="jiyoung"))


def test_cancel_runbook_of_a_running_run_is_recorded(state):
    with_a_waiting_step(state)
    result = applied(state, d.CancelRunbook(runbook="fleet-down", reason="fixed by hand", by="minsu"))
    assert result.text == "minsu cancelled runbook fleet-down: fixed by hand"
    assert state.timeline[-1].kind == "decision"


def test_no_new_runbooks_once_resolved(state):
    applied(state, d.Resolve(by="minsu"))
    with pytest.raises(d.DecisionRejected, match="no new runbooks"):
        rules.check(state, d.RunRunbook(runbook="high-latency", by="minsu"))


def test_run_and_cancel_runbooks_are_checked_against_the_runs(state):
    with pytest.raises(d.DecisionRejected):
        rules.check(state, d.CancelRunbook(runbook="fleet-down", by="minsu"))  # nothing runs
    applied(state, d.RunRunbook(runbook="high-latency", by="minsu"))
    assert state.timeline[-1].text == "minsu asked to run runbook high-latency"


def test_every_decision_kind_has_a_rule_here():
    tested = {"acknowledge", "assign_role", "set_severity", "add_note", "start_mitigation", "mark_mitigated",
              "resolve", "close", "publish_postmortem", "escalate_now", "check_item", "post_update", "approve_step",
              "reject_step", "run_runbook", "cancel_runbook"}
    assert set(d.DECISION_KINDS) == tested
