"""The compensation report's figures against hand-computed Octobers (testkit/compensation.py): 31 days = 744 h,
of which 9 weekend days (216 h), public holidays on Sat 3 (개천절), Mon 5 (its substitute) and Fri 9 (한글날)
(72 h), and 20 working days (180 h of working hours, 300 h of weekday off-hours)."""

from datetime import date
from decimal import Decimal

import pytest

from domain.oncall.compensation import MonthError, build_compensation, month_window, parse_month
from domain.oncall.compensation_output import render_csv, render_markdown
from domain.oncall.rotation import plan
from service.compensation import public_holidays
from testkit.compensation import OCTOBER_INCIDENTS, OCTOBER_OVERRIDES, incident, kst, one_person_rotation

KOREAN_OCTOBER = {date(2026, 10, 3), date(2026, 10, 5), date(2026, 10, 9)}


@pytest.fixture
def holidays_2026():
    return public_holidays("KR", [2026])


@pytest.fixture
def october(policy, holidays_2026):
    oncall = one_person_rotation(policy.oncall)
    start, end = month_window("2026-10", oncall.rotation.timezone)
    shifts = plan(oncall, start, end, OCTOBER_OVERRIDES)
    return build_compensation(oncall, "2026-10", shifts, OCTOBER_INCIDENTS, holidays_2026)


def test_the_holidays_package_knows_the_korean_october_holidays(holidays_2026):
    october = {d for d in holidays_2026 if d.month == 10}
    assert october == KOREAN_OCTOBER
    assert public_holidays(None, [2026]) == {}
    with pytest.raises(ValueError, match="knows no country 'XX'"):
        public_holidays("XX", [2026])


def test_every_figure_of_a_month_with_holidays_a_weekend_override_and_night_pages(october):
    assert (october.start, october.end) == (kst(10, 1, 0), kst(11, 1, 0))
    assert set(october.holidays) == KOREAN_OCTOBER
    rows = {r.who: r for r in october.rows}
    assert [r.who for r in october.rows] == ["minsu", "jiyoung", "sre-lead"]  # by pay

    minsu = rows["minsu"]
    # 744 h less jiyoung's weekend (48 h); the secondary hour inside the primary shift counts once
    assert (minsu.hours, minsu.off_hours_hours, minsu.weekend_hours, minsu.holiday_hours) == (696, 516, 168, 72)
    assert (minsu.pages, minsu.off_hours_pages, minsu.night_pages) == (3, 2, 2)  # A (14:00), B (23:30), C (03:00)
    assert (minsu.incidents_handled, minsu.acknowledgements, minsu.mtta_seconds) == (3, 3, 340.0)  # 5, 10, 2 min
    assert {p.item: (p.quantity, p.amount) for p in minsu.pay} == {
        "weekday off-hours hours": (300, Decimal(300_000)),  # 20 working days × 15 h × 1,000
        "weekend hours": (144, Decimal(720_000)),  # (216 − 24 on 개천절 − 48 swapped) × 5,000
        "holiday hours": (72, Decimal(720_000)),  # 3 days × 24 h × 10,000 (one on a Saturday)
        "off-hours pages": (0, Decimal(0)),  # B and C are night pages, paid as such only
        "night pages": (2, Decimal(60_000)),
    }
    assert minsu.total == Decimal(1_800_000)

    jiyoung = rows["jiyoung"]
    assert (jiyoung.hours, jiyoung.off_hours_hours, jiyoung.weekend_hours, jiyoung.holiday_hours) == (48, 48, 48, 0)
    assert (jiyoung.pages, jiyoung.off_hours_pages, jiyoung.night_pages) == (1, 1, 0)  # Saturday 20:00
    assert (jiyoung.incidents_handled, jiyoung.acknowledgements, jiyoung.mtta_seconds) == (1, 1, 600.0)
    assert jiyoung.total == Decimal(48 * 5000 + 20_000)

    lead = rows["sre-lead"]  # paged and IC, but the tertiary tier's hours are not paid
    assert (lead.hours, lead.pages, lead.off_hours_pages, lead.night_pages) == (0, 1, 1, 0)
    assert (lead.incidents_handled, lead.acknowledgements, lead.mtta_seconds) == (1, 0, None)
    assert lead.total == Decimal(20_000)
    assert october.total == Decimal(2_080_000)


def test_the_policy_windows_move_the_categories(policy, holidays_2026):
    """Working hours 10:00–19:00 Monday to Saturday, night 00:00–06:00, no holidays."""
    base = one_person_rotation(policy.oncall)
    oncall = base.model_copy(update={
        "working_hours": base.working_hours.model_copy(update={"days": ["monday", "tuesday", "wednesday", "thursday",
                                                                         "friday", "saturday"],
                                                               "start": kst(1, 1, 10).time(),
                                                               "end": kst(1, 1, 19).time()}),
        "night": base.night.model_copy(update={"start": kst(1, 1, 0).time(), "end": kst(1, 1, 6).time()}),
    })
    start, end = month_window("2026-10", "Asia/Seoul")
    report = build_compensation(oncall, "2026-10", plan(oncall, start, end), OCTOBER_INCIDENTS[1:4], {})
    minsu = report.rows[0]
    # 27 working days (31 − 4 Sundays) × 9 h in working hours
    assert (minsu.hours, minsu.off_hours_hours, minsu.weekend_hours, minsu.holiday_hours) == (744, 744 - 243, 216, 0)
    assert (minsu.off_hours_pages, minsu.night_pages) == (2, 1)  # 23:30 is off-hours only, 03:00 is night


def test_months_are_calendar_months_in_the_zone():
    assert month_window("2026-12", "Asia/Seoul") == (kst(12, 1, 0), kst(12, 1, 0).replace(year=2027, month=1))
    assert parse_month("2026-11") == (2026, 11)
    for wrong in ("2026-13", "2026-1", "November", "2026-W47", "9999-12", "0000-01"):
        with pytest.raises(MonthError, match="use a month like 2026-11"):
            parse_month(wrong)


def test_markdown_is_one_table_with_every_figure_and_the_rates(october):
    text = render_markdown(october)
    lines = text.splitlines()
    assert lines[0] == "# On-call compensation 2026-10"
    assert "2026-10-01 – 2026-10-31 (Asia/Seoul), amounts in KRW." in lines
    assert ("Public holidays: 10-03 National Foundation Day, 10-05 Alternative holiday for National Foundation Day, "
            "10-09 Hangul Day.") in lines
    header = next(i for i, line in enumerate(lines) if line.startswith("| Person"))
    assert lines[header] == ("| Person | Hours | Off-hours h | Weekend h | Holiday h | Pages | Off-hours pages | "
                             "Night pages | Incidents | MTTA | Pay: weekday off-hours hours | Pay: weekend hours | "
                             "Pay: holiday hours | Pay: off-hours pages | Pay: night pages | Total |")
    assert lines[header + 1] == "|---|" + "---:|" * 15
    assert lines[header + 2:header + 5] == [
        "| Kim Minsu (minsu) | 696 | 516 | 168 | 72 | 3 | 2 | 2 | 3 | 5m40s | 300,000 | 720,000 | 720,000 | 0 | "
        "60,000 | **1,800,000** |",
        "| Lee Jiyoung (jiyoung) | 48 | 48 | 48 | 0 | 1 | 1 | 0 | 1 | 10m00s | 0 | 240,000 | 0 | 20,000 | 0 | "
        "**260,000** |",
        "| SRE Team Lead (@game-sre-lead) (sre-lead) | 0 | 0 | 0 | 0 | 1 | 1 | 0 | 1 | — | 0 | 0 | 0 | 20,000 | 0 "
        "| **20,000** |",
    ]
    assert "Total: **2,080,000 KRW**." in lines
    assert ("Rates: 1,000 per weekday off-hours hour, 5,000 per weekend hour, 10,000 per holiday hour, 20,000 per "
            "off-hours page, 30,000 per night page") in text


def test_csv_has_one_line_per_person_with_every_figure_and_amount(october):
    lines = render_csv(october).splitlines()
    assert lines == [
        "month,who,name,hours,off_hours_hours,weekend_hours,holiday_hours,pages,off_hours_pages,night_pages,"
        "incidents_handled,acknowledgements,mtta_seconds,pay_off_hours_hours,pay_weekend_hours,pay_holiday_hours,"
        "pay_off_hours_pages,pay_night_pages,total,currency",
        "2026-10,minsu,Kim Minsu,696,516,168,72,3,2,2,3,3,340,300000.00,720000.00,720000.00,0.00,60000.00,"
        "1800000.00,KRW",
        "2026-10,jiyoung,Lee Jiyoung,48,48,48,0,1,1,0,1,1,600,0.00,240000.00,0.00,20000.00,0.00,260000.00,KRW",
        "2026-10,sre-lead,SRE Team Lead (@game-sre-lead),0,0,0,0,1,1,0,1,0,,0.00,0.00,0.00,20000.00,0.00,20000.00,KRW",
    ]


def test_an_empty_month_says_so(policy):
    oncall = one_person_rotation(policy.oncall)
    report = build_compensation(oncall, "2026-10", [], [], {})
    assert report.rows == [] and report.total == 0
    assert "Nobody was on call or paged this month." in render_markdown(report)
    assert render_csv(report).count("\n") == 1


def test_mtta_runs_from_the_first_page_before_the_acknowledgement_else_from_detection(policy):
    oncall = one_person_rotation(policy.oncall)
    incidents = [
        # paged at 0 and again at 20 (after acknowledging at 8): 8 minutes
        incident("R", kst(10, 20, 10), [("primary", "minsu", 0), ("primary", "minsu", 20)], ack=("minsu", 8)),
        # the team lead acknowledges from the channel without a page: 6 minutes since detection
        incident("S", kst(10, 21, 10), [("primary", "minsu", 0)], ack=("sre-lead", 6)),
    ]
    rows = {r.who: r for r in build_compensation(oncall, "2026-10", [], incidents, {}).rows}
    assert (rows["minsu"].pages, rows["minsu"].acknowledgements, rows["minsu"].mtta_seconds) == (3, 1, 480.0)
    assert (rows["sre-lead"].pages, rows["sre-lead"].incidents_handled, rows["sre-lead"].mtta_seconds) == (0, 1, 360.0)
    assert rows["minsu"].incidents_handled == 1
