"""Who took part in a drill and how each did (`domain.drills.participants`, `domain.drills.evaluation`), and how an
immediate (0m, Sev0) response is scored: against the policy's `drills.immediate_ack_within`."""

from datetime import timedelta

import pytest

from domain.drills.policy import DrillScoring
from domain.drills.scoring import scorecard
from domain.incident import decisions as d
from domain.incident.severity import Role, Severity
from testkit.drills import T0, worked_incident
from testkit.drills import declared_scenario as scenario

WORKED = [
    (3 + 10 / 60, d.Acknowledge(by="minsu")),
    (4, d.AssignRole(role=Role.IC, to="minsu", by="minsu")),
    (5, d.AssignRole(role=Role.COMMS, to="hyunwoo", by="minsu")),
    (6, d.CheckItem(item="impact-scoped", by="minsu")),
    (9, d.PostUpdate(message="hyunwoo is now ic", by="hyunwoo", via="slack-bot")),
    (12, d.AddNote(text="rollback looks safe", by="hyunwoo")),
    (20, d.StartMitigation(by="minsu")),
]


def test_live_participants_are_the_people_with_their_roles_decisions_and_acknowledgement(policy):
    state = worked_incident(policy, Severity.SEV1, WORKED)
    card = scorecard(scenario("sev1"), state, T0, policy, mode="live", autoplay=False)
    minsu, hyunwoo = card.participants
    assert (minsu.person, minsu.roles, minsu.decisions) == ("minsu", [Role.IC], 5)
    assert (minsu.first_action_at_seconds, minsu.acknowledged_at_seconds) == (190, 190)
    assert minsu.role_since_seconds == {Role.IC: 240}
    # the item checked, and those the roles minsu assigned complete
    assert {"ic-named", "comms-named", "impact-scoped"} <= set(minsu.checklist_done)
    # an update's message that reads like an assignment is not one; "slack-bot on behalf of hyunwoo" is hyunwoo
    assert (hyunwoo.person, hyunwoo.roles, hyunwoo.decisions) == ("hyunwoo", [Role.COMMS], 2)
    assert (hyunwoo.first_action_at_seconds, hyunwoo.acknowledged_at_seconds) == (540, None)


def test_each_participant_gets_a_factual_evaluation(policy):
    worked = [*WORKED, (18, d.CheckItem(item="rollback-checked", by="minsu"))]  # due at 15m
    card = scorecard(scenario("sev1"), worked_incident(policy, Severity.SEV1, worked), T0, policy, mode="live",
                     autoplay=False)
    minsu, hyunwoo = card.participants
    assert minsu.evaluation == (
        "acknowledged in 3m10s against the 5m target (within); ic from T+0:04:00; 6 decisions, first at T+0:03:10; "
        "checked 4 checklist items, 1 late (rollback-checked); as ic: 8 checklist items late or never done "
        "(rollback-checked, comms-drafted, ops-named, scribe-named, status-checked, impact-assessed, "
        "recovery-planned, stakeholders-notified)")
    assert hyunwoo.evaluation == "comms from T+0:05:00; 2 decisions, first at T+0:09:00"


def test_someone_paged_who_never_answered_is_not_a_participant_but_one_who_acts_late_is(policy):
    assert [p.person for p in scorecard(scenario("sev1"), worked_incident(policy, Severity.SEV1, WORKED), T0,
                                        policy, mode="live", autoplay=False).participants] == ["minsu", "hyunwoo"]
    state = worked_incident(policy, Severity.SEV1, [*WORKED, (30, d.AddNote(text="sorry, was asleep", by="jiyoung"))])
    card = scorecard(scenario("sev1"), state, T0, policy, mode="live", autoplay=False)
    jiyoung = card.participants[-1]
    assert jiyoung.person == "jiyoung"
    assert jiyoung.evaluation == (
        "paged as secondary at T+0:00:00 (acknowledged by minsu); 1 decision, first at T+0:30:00")


def test_played_decisions_are_the_script_not_participants(policy):
    """Instant drills (and --live --autoplay) play the scenario's decisions under the names it gives."""
    events = [{"at": "3m", "do": "acknowledge", "by": "minsu"},
              {"at": "5m", "do": "assign_role", "role": "comms", "to": "hyunwoo", "by": "minsu"}]
    state = worked_incident(policy, Severity.SEV1, [*WORKED, (31, d.AddNote(text="joining", by="seoyeon"))])
    assert [p.person for p in scorecard(scenario("sev1", events), state, T0, policy).participants] == ["seoyeon"]
    live = scorecard(scenario("sev1", events), state, T0, policy, mode="live", autoplay=False)
    assert [p.person for p in live.participants] == ["minsu", "hyunwoo", "seoyeon"]


@pytest.mark.parametrize(("seconds", "met", "verdict"), [(40, True, "within"), (180, False, "over by 2m")])
def test_an_immediate_response_is_scored_against_the_drills_setting(policy, seconds, met, verdict):
    assert policy.severity(Severity.SEV0).response_time == timedelta(0)
    state = worked_incident(policy, Severity.SEV0, [(seconds / 60, d.Acknowledge(by="minsu"))])
    card = scorecard(scenario("sev0"), state, T0, policy, mode="live", autoplay=False)
    assert card.targets.ack_seconds == 0  # the policy's "즉시" stays as written
    assert (card.targets.ack_scored_against_seconds, card.targets.ack_met) == (60, met)
    assert card.participants[0].evaluation.startswith(
        f"acknowledged in {'40s' if seconds == 40 else '3m'} against the immediate (scored within 1m) target "
        f"({verdict})")


def test_the_immediate_window_is_the_policy_setting_and_a_timed_target_is_the_response_time(policy):
    roomy = policy.model_copy(update={"incident": policy.incident.model_copy(
        update={"drills": DrillScoring(immediate_ack_within=timedelta(minutes=5))})})
    late = worked_incident(policy, Severity.SEV0, [(3, d.Acknowledge(by="minsu"))])
    assert scorecard(scenario("sev0"), late, T0, roomy).targets.ack_met
    slow = worked_incident(policy, Severity.SEV1, [(6, d.Acknowledge(by="minsu"))])
    sev1 = scorecard(scenario("sev1"), slow, T0, roomy)
    assert (sev1.targets.ack_seconds, sev1.targets.ack_scored_against_seconds, sev1.targets.ack_met) == (
        300, 300, False)
    never = scorecard(scenario("sev1"), worked_incident(policy, Severity.SEV1, []), T0, policy)
    assert never.targets.ack_met is False and never.participants == []
