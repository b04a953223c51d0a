"""Periodic checks (domain/learning/periodic.py): calendar periods in the team's zone at their boundaries, labels
and their errors, and a check's status from completion records and drill records."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.learning.periodic import Completion, parse_label, period_at, periods_overlapping, previous_period, status_of
from domain.learning.periodic_notices import notice_text
from domain.learning.periodic_policy import PeriodicCheck, default_checks
from domain.oncall.training import TrainingRecord

SEOUL = "Asia/Seoul"
CHECKS = default_checks()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(("every", "moment", "label"), [
    ("week", "2026-12-06T23:59:59+09:00", "2026-W49"),  # Sunday night in Seoul, Sunday afternoon UTC
    ("week", "2026-12-07T00:00:00+09:00", "2026-W50"),
    ("week", "2027-01-01T10:00:00+09:00", "2026-W53"),  # ISO week of the old year
    ("week", "2026-12-31T15:00:00+00:00", "2026-W53"),
    ("month", "2026-11-30T15:00:00+00:00", "2026-12"),  # 00:00 on 1 December in Seoul
    ("month", "2026-11-30T14:59:59+00:00", "2026-11"),
    ("quarter", "2026-09-30T15:00:00+00:00", "2026-Q4"),
    ("quarter", "2026-09-30T23:59:00+09:00", "2026-Q3"),
    ("year", "2026-12-31T15:00:00+00:00", "2027"),
])
def test_periods_are_calendar_periods_in_the_team_zone(every, moment, label):
    assert period_at(every, at(moment), SEOUL).label == label


def test_period_bounds_and_the_previous_period():
    week = parse_label("week", "2026-W50", SEOUL)
    assert (week.start, week.end) == (at("2026-12-07T00:00+09:00"), at("2026-12-14T00:00+09:00"))
    assert previous_period(week, SEOUL).label == "2026-W49"
    assert previous_period(parse_label("week", "2027-W01", SEOUL), SEOUL).label == "2026-W53"
    q1 = parse_label("quarter", "2027-Q1", SEOUL)
    assert (q1.start, q1.end) == (at("2027-01-01T00:00+09:00"), at("2027-04-01T00:00+09:00"))
    assert previous_period(q1, SEOUL).label == "2026-Q4"
    assert parse_label("month", "2026-12", SEOUL).end == at("2027-01-01T00:00+09:00")
    assert parse_label("year", "2026", SEOUL).end == at("2027-01-01T00:00+09:00")


@pytest.mark.parametrize(("every", "label", "problem"), [
    ("week", "2026-49", "period '2026-49' is not a week: a week looks like 2026-W49"),
    ("week", "2025-W53", "period '2025-W53' is not a week: a week looks like 2026-W49 (no such week)"),
    ("month", "2026-13", "period '2026-13' is not a month: a month looks like 2026-12 (no such month)"),
    ("quarter", "2026-Q5", "period '2026-Q5' is not a quarter: a quarter looks like 2026-Q4 (no such quarter)"),
    ("quarter", "2026-12", "period '2026-12' is not a quarter: a quarter looks like 2026-Q4"),
    ("year", "26", "period '26' is not a year: a year looks like 2026"),
])
def test_a_bad_label_names_the_form_of_the_period(every, label, problem):
    with pytest.raises(ValueError) as raised:
        parse_label(every, label, SEOUL)
    assert str(raised.value) == problem


def test_the_weeks_of_a_month():
    november = parse_label("month", "2026-11", SEOUL)
    weeks = periods_overlapping("week", november.start, november.end, SEOUL)
    assert [w.label for w in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]


def done(item: str, period: str, when: str, by: str = "sre-lead", notes: str = "") -> Completion:
    return Completion(item=item, period=period, completed_at=at(when), completed_by=by, notes=notes,
                      recorded_by=by, recorded_at=at(when))


def drill(person: str, when: str, notes: str = "") -> TrainingRecord:
    return TrainingRecord(person=person, kind="drill", completed_at=at(when), hours=1, notes=notes,
                          recorded_by="sre-lead")


def test_status_done_due_missed_and_upcoming():
    week = parse_label("week", "2026-W50", SEOUL)
    check = CHECKS["weekly-stats"]
    mid = at("2026-12-09T12:00+09:00")
    assert status_of("weekly-stats", check, week, [], [], mid).status == "due"
    assert status_of("weekly-stats", check, week, [], [], at("2026-12-14T00:00+09:00")).status == "missed"
    assert status_of("weekly-stats", check, week, [], [], at("2026-12-06T23:00+09:00")).status == "upcoming"
    assert status_of("weekly-stats", check, week, [], [], mid).remind_at == at("2026-12-12T00:00+09:00")
    records = [done("weekly-stats", "2026-W49", "2026-12-04T10:00+09:00"),
               done("monthly-review", "2026-W50", "2026-12-08T10:00+09:00"),
               done("weekly-stats", "2026-W50", "2026-12-08T10:00+09:00", "minsu", "3 incidents; MTTR on target")]
    got = status_of("weekly-stats", check, week, records, [], mid)
    assert (got.status, got.by, got.at, got.notes, got.via, got.late) == (
        "done", "minsu", at("2026-12-08T10:00+09:00"), "3 incidents; MTTR on target", "record", False)
    late = status_of("weekly-stats", check, week, [done("weekly-stats", "2026-W50", "2026-12-15T09:00+09:00")], [],
                     at("2026-12-16T00:00+09:00"))
    assert (late.status, late.late) == ("done", True)


def test_a_drill_in_the_quarter_completes_the_quarterly_training_only():
    q4 = parse_label("quarter", "2026-Q4", SEOUL)
    now = at("2026-12-09T12:00+09:00")
    drills = [drill("minsu", "2026-09-30T23:00+09:00", "Q3 tabletop"), drill("jiyoung", "2026-11-10T10:00+09:00",
              "2026-Q4 tabletop"), drill("minsu", "2026-11-10T10:05+09:00", "2026-Q4 tabletop")]
    got = status_of("quarterly-training", CHECKS["quarterly-training"], q4, [], drills, now)
    assert (got.status, got.by, got.at, got.notes, got.via) == (
        "done", "jiyoung, minsu", at("2026-11-10T10:00+09:00"), "2026-Q4 tabletop", "drill")
    assert status_of("quarterly-training", CHECKS["quarterly-training"], q4, [], drills[:1], now).status == "due"
    year = parse_label("year", "2026", SEOUL)
    assert status_of("annual-plan", CHECKS["annual-plan"], year, [], drills, now).status == "due"


def test_policy_defaults_and_limits():
    assert [(i, c.every, c.owner.value, c.remind) for i, c in CHECKS.items()] == [
        ("weekly-stats", "week", "tertiary", timedelta(days=2)), ("monthly-review", "month", "tertiary", timedelta(7)),
        ("quarterly-training", "quarter", "tertiary", timedelta(7)), ("annual-plan", "year", "tertiary", timedelta(7))]
    with pytest.raises(ValidationError, match="remind_before_end must be more than 0 and shorter than a week"):
        PeriodicCheck(every="week", title="x", remind_before_end="7d")
    with pytest.raises(ValidationError, match="done_when"):
        PeriodicCheck(every="week", title="x", done_when="postmortem")


def test_notices_name_the_owner_and_the_command():
    status = status_of("quarterly-training", CHECKS["quarterly-training"], parse_label("quarter", "2026-Q4", SEOUL),
                       [], [], datetime(2026, 12, 30, tzinfo=UTC))
    missed = notice_text("missed", status, True, "sre-lead", "Team Lead", SEOUL)
    assert missed == (
        "❌ Periodic check missed: 분기별 훈련 및 교육 진행 (quarterly training: a tabletop drill) "
        "(quarterly-training) was not done in 2026-Q4 (no drill recorded); the period ended Thu 2026-12-31 "
        "(Asia/Seoul). Owner: tertiary on-call Team Lead (@sre-lead). A late completion can still be recorded: "
        "`incident periodic done quarterly-training --period 2026-Q4 --by <you> --notes \"…\"`.")
    assert "tertiary on-call (nobody holds it now)" in notice_text("due", status, True, None, None, SEOUL)
