"""Training and eligibility without a ledger (domain/oncall/training.py): onboarding hours add up, what each person
still owes this quarter or year, and `incident oncall check`'s lines for rotation members without onboarding."""

from datetime import UTC, datetime, timedelta

from domain.oncall.training import (
    TrainingRecord,
    drills_this_quarter,
    eligibility,
    owed,
    period_start,
    quarter_label,
    untrained_members,
    untrained_problems,
)

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 2026-Q4 in Asia/Seoul


def done(person: str, kind: str, hours: float, at: datetime = NOW - timedelta(days=1)) -> TrainingRecord:
    return TrainingRecord(person=person, kind=kind, hours=hours, completed_at=at, recorded_by="sre-lead")


def test_onboarding_split_over_sessions_counts_once_the_hours_add_up(policy):
    first = eligibility(policy.oncall, [done("minsu", "onboarding", 2.5)], "minsu")
    assert not first.eligible and first.why == "onboarding incomplete: 2.5 of 4 h recorded"
    both = eligibility(policy.oncall, [done("minsu", "onboarding", 2.5), done("minsu", "onboarding", 1.5)], "minsu")
    assert both.eligible and both.why == "onboarding complete (4 h)"
    nobody = eligibility(policy.oncall, [done("jiyoung", "onboarding", 4)], "minsu")
    assert nobody.why == "no onboarding recorded (the policy requires 4 h before going on call)"


def test_check_names_each_rotation_member_without_onboarding_per_tier(policy):
    records = [done(p, "onboarding", 4) for p in ("minsu", "jiyoung", "hyunwoo", "sre-lead", "cto")]
    problems = untrained_problems(policy.oncall, records)
    assert [(p.kind, p.tier.value, p.who) for p in problems] == [("untrained", "primary", "seoyeon"),
                                                                 ("untrained", "secondary", "seoyeon")]
    assert problems[0].text.startswith("primary: seoyeon is in the rotation but no onboarding recorded")
    assert [e.person for e in untrained_members(policy.oncall, records)] == ["seoyeon"]


def test_what_a_person_owes_resets_each_quarter_and_advanced_is_for_leads_only(policy):
    last_quarter = NOW - timedelta(days=90)
    records = [done("minsu", "onboarding", 4, last_quarter), done("minsu", "quarterly", 2, last_quarter),
               done("sre-lead", "onboarding", 4), done("sre-lead", "quarterly", 2)]
    assert owed(policy.oncall, records, "minsu", NOW) == ["quarterly: 0 of 2 h in 2026-Q4"]
    assert owed(policy.oncall, records, "sre-lead", NOW) == ["advanced: 0 of 8 h in 2026"]


def test_quarters_are_counted_in_the_rotation_zone(policy):
    # 2026-09-30 16:00 UTC is already 2026-10-01 01:00 in Seoul: the fourth quarter
    at = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert quarter_label(at, "Asia/Seoul") == "2026-Q4"
    assert period_start("quarter", at, "Asia/Seoul") == datetime(2026, 9, 30, 15, 0, tzinfo=UTC)
    drill = done("minsu", "drill", 1, at)
    assert drills_this_quarter([drill, done("minsu", "drill", 1, at - timedelta(hours=2))], at, "Asia/Seoul") == [
        drill]
