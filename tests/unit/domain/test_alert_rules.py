"""What a real alert group does to an incident (flapping, truncation, recovered alerts): the pure rules, and
what `incident show` prints of them (the same stories on Temporal: tests/integration/workflows/
test_alert_semantics.py)."""

from datetime import timedelta

import pytest

from domain.alerts.handling import merge_snapshot
from domain.incident import decision_rules, phase_changes, planner
from domain.incident import decisions as d
from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from testkit.alerts import T0, alert, alert_incident, due_keys, snapshot


def test_a_firing_after_the_incident_mitigated_itself_reopens_it_and_pages_primary_again(policy):
    state = alert_incident(policy, alert("a"))
    state.fired.append("page:initial")
    merge_snapshot(policy, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=2))
    assert state.phase == Phase.MITIGATED and state.recovered_from == Phase.DETECTED

    changes = merge_snapshot(policy, state, snapshot(alert("a")), T0 + timedelta(minutes=20))
    assert changes.reopened and state.phase == Phase.DETECTED and state.mitigated_at is None
    assert [e.text for e in state.timeline[-2:]] == [
        "an alert fired again after the incident had mitigated itself: back to detected", "mitigated → detected"]
    repage = next(a for a in planner.plan(policy, state, T0 + timedelta(minutes=20)).due if a.kind == "repage")
    assert (repage.kind, repage.tier, repage.person) == ("repage", Tier.PRIMARY, None)


def test_the_person_who_acknowledged_is_the_one_paged_again(policy):
    state = alert_incident(policy, alert("a"))
    decision_rules.apply(state, d.Acknowledge(by="hyunwoo"), T0 + timedelta(minutes=1))
    merge_snapshot(policy, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=2))
    merge_snapshot(policy, state, snapshot(alert("a")), T0 + timedelta(minutes=30))
    assert state.phase == Phase.TRIAGED  # back where it was, acknowledged
    repage = next(a for a in planner.plan(policy, state, T0 + timedelta(minutes=30)).due if a.kind == "repage")
    assert repage.person == "hyunwoo"


def test_a_flapping_alert_pages_again_at_most_every_five_minutes(policy):
    state = alert_incident(policy, alert("a"))
    for minute in range(1, 13, 2):  # resolves and fires again every minute for 12 minutes
        merge_snapshot(policy, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=minute))
        merge_snapshot(policy, state, snapshot(alert("a")), T0 + timedelta(minutes=minute + 1))
    repages = [a for a in planner.candidate_actions(policy, state) if a.kind == "repage"]
    assert [round((a.at - T0).total_seconds() / 60) for a in repages] == [2, 8]
    assert len(state.refired_at) == 6


def test_a_person_marking_it_mitigated_is_not_undone_by_an_alert(policy):
    state = alert_incident(policy, alert("a"))
    decision_rules.apply(state, d.MarkMitigated(by="minsu"), T0 + timedelta(minutes=1))
    merge_snapshot(policy, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=2))
    merge_snapshot(policy, state, snapshot(alert("a")), T0 + timedelta(minutes=3))
    assert state.phase == Phase.MITIGATED and not state.refired_at
    assert state.timeline[-1].text == "firing: FriendsApiErrors: a is failing"


def test_alerts_the_sender_left_out_are_counted_and_keep_the_incident_from_mitigating_itself(policy):
    state = alert_incident(policy, alert("a"), alert("b"))
    merge_snapshot(policy, state, snapshot(alert("a"), alert("b"), hidden=3), T0)
    assert state.alerts_hidden == 3
    assert "+3 more alerts of this group not shown" in state.timeline[-1].text
    # the two listed alerts resolve while three may still fire: no mitigation
    merge_snapshot(policy, state, snapshot(alert("a", "resolved"), alert("b", "resolved"), hidden=3),
                   T0 + timedelta(minutes=1))
    assert state.phase == Phase.DETECTED and not state.alerts_all_resolved()
    # once the sender shows the whole group resolved, it mitigates itself
    merge_snapshot(policy, state, snapshot(alert("a", "resolved"), alert("b", "resolved")), T0 + timedelta(minutes=2))
    assert state.phase == Phase.MITIGATED and state.timeline[-1].text.startswith("all alerts resolved")


def test_the_acknowledgement_deadline_waits_while_every_alert_is_resolved(policy):
    state = alert_incident(policy, alert("a"))
    state.fired.append("page:initial")
    merge_snapshot(policy, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=2))
    assert planner.ACK_TIMEOUT_RULE not in due_keys(policy, state, T0 + timedelta(minutes=30))
    # fires again at 40 minutes: the deadline restarts from the page that follows
    merge_snapshot(policy, state, snapshot(alert("a")), T0 + timedelta(minutes=40))
    assert planner.ACK_TIMEOUT_RULE not in due_keys(policy, state, T0 + timedelta(minutes=54))
    assert planner.ACK_TIMEOUT_RULE in due_keys(policy, state, T0 + timedelta(minutes=55))


@pytest.mark.parametrize(("pause", "rule_due"), [("acknowledgement", True), ("all", False)])
def test_pause_while_recovered_is_a_policy_setting(policy, pause, rule_due):
    alerts = policy.incident.alerts.model_copy(update={"pause_while_recovered": pause})
    paused = policy.model_copy(update={"incident": policy.incident.model_copy(update={"alerts": alerts})})
    state = alert_incident(paused, alert("a"))
    merge_snapshot(paused, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=2))
    assert ("rule:sev2-1h" in due_keys(paused, state, T0 + timedelta(hours=2))) is rule_due


def test_an_alert_resolving_while_the_postmortem_is_due_is_recorded(policy):
    state = alert_incident(policy, alert("a"))
    decision_rules.apply(state, d.Resolve(by="minsu"), T0 + timedelta(minutes=10))
    phase_changes.advance(state, Phase.POSTMORTEM, T0 + timedelta(minutes=10), "incidentflow")
    merge_snapshot(policy, state, snapshot(alert("a", "resolved")), T0 + timedelta(minutes=30))
    assert state.alerts["a"].status == "resolved"
    assert state.timeline[-1].text == "resolved: FriendsApiErrors: a is failing"


def test_severity_from_alerts_still_rises_with_the_worst_alert(policy):
    state = alert_incident(policy, alert("a"))
    merge_snapshot(policy, state, snapshot(alert("a"), alert("b", service="payments")), T0)
    assert state.severity == Severity.SEV1


# ── on the time-skipping server ──────────────────────────────────────────────────────────────────────
def test_incident_show_lists_the_alerts_and_says_how_many_were_not_shown(policy):
    from cli.common import console
    from cli.render import render_incident

    state = alert_incident(policy, alert("a"), alert("b"))
    merge_snapshot(policy, state, snapshot(alert("a"), alert("b", "resolved"), hidden=3), T0)
    with console.capture() as captured:
        render_incident(state)
    shown = captured.get()
    assert "Alerts (1 firing of 2)" in shown and "FriendsApiErrors: a is failing" in shown
    assert "+3 more alerts of this group not shown" in shown
