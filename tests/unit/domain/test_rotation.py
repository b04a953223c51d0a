"""The rotation model: handover boundaries, overrides, daylight saving, per-tier shifts, gaps."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.incident.severity import Tier
from domain.oncall.rotation import (
    Override,
    check,
    handover_at,
    holder,
    next_handover,
    segments,
    shift_bounds,
    shift_index,
)
from domain.policy.oncall_policy import Person, Rotation, TierRotation

SEOUL = ZoneInfo("Asia/Seoul")
BERLIN = ZoneInfo("Europe/Berlin")


def seoul(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def oncall(policy):
    return policy.oncall


def with_tier(oncall, tier: Tier, **changes):
    tiers = {**oncall.tiers, tier: oncall.tiers[tier].model_copy(update=changes)}
    return oncall.model_copy(update={"tiers": tiers})


# ── the seed's rotation: Monday 09:00 → Monday 09:00 Asia/Seoul ──────────────────────────────────────
def test_handover_happens_exactly_at_monday_0900_seoul(oncall):
    # anchor week 2026-01-05: minsu, then jiyoung, hyunwoo, seoyeon; 2026-11-23 is 46 weeks later → hyunwoo
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 23, 8, 59, 59)) == "jiyoung"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 23, 9, 0, 0)) == "hyunwoo"
    assert holder(oncall, Tier.SECONDARY, seoul(2026, 11, 23, 8, 59, 59)) == "hyunwoo"
    assert holder(oncall, Tier.SECONDARY, seoul(2026, 11, 23, 9, 0, 0)) == "seoyeon"
    # the same instant written in UTC (Monday 00:00Z) — the zone of the input does not matter
    assert holder(oncall, Tier.PRIMARY, datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) == "hyunwoo"
    assert holder(oncall, Tier.PRIMARY, datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)) == "jiyoung"


def test_anchor_week_starts_member_zero_and_the_rotation_wraps(oncall):
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 1, 5, 9, 0)) == "minsu"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 1, 5, 8, 59)) == "seoyeon"  # the week before the anchor
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 2, 2, 9, 0)) == "minsu"  # 4 weeks later: wrapped
    assert [holder(oncall, Tier.TERTIARY, seoul(2026, 1, 5 + 7 * w, 12)) for w in range(3)] == ["sre-lead"] * 3


def test_next_handover_and_shift_bounds_are_monday_0900_seoul(oncall):
    rotation = oncall.rotation
    assert next_handover(rotation, seoul(2026, 11, 22, 11, 0)) == seoul(2026, 11, 23, 9, 0)
    assert next_handover(rotation, seoul(2026, 11, 23, 9, 0)) == seoul(2026, 11, 30, 9, 0)
    start, end = shift_bounds(rotation, shift_index(rotation, seoul(2026, 11, 25, 3, 0)))
    assert (start, end) == (seoul(2026, 11, 23, 9, 0), seoul(2026, 11, 30, 9, 0))


# ── overrides ────────────────────────────────────────────────────────────────────────────────────────
def test_override_inside_a_shift_wins_only_while_it_lasts(oncall):
    vacation = Override(tier=Tier.PRIMARY, who="minsu", start=seoul(2026, 11, 24, 12, 0),
                        end=seoul(2026, 11, 26, 12, 0), reason="hyunwoo on vacation")
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 24, 11, 59, 59), [vacation]) == "hyunwoo"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 24, 12, 0), [vacation]) == "minsu"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 26, 11, 59, 59), [vacation]) == "minsu"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 26, 12, 0), [vacation]) == "hyunwoo"  # end is exclusive
    assert holder(oncall, Tier.SECONDARY, seoul(2026, 11, 25, 0, 0), [vacation]) == "seoyeon"  # other tier


def test_override_overlapping_a_handover_covers_both_shifts_and_the_latest_start_wins(oncall):
    cover = Override(tier=Tier.PRIMARY, who="seoyeon", start=seoul(2026, 11, 22, 18, 0),
                     end=seoul(2026, 11, 24, 9, 0), reason="cover across the handover")
    swap = Override(tier=Tier.PRIMARY, who="minsu", start=seoul(2026, 11, 23, 9, 0),
                    end=seoul(2026, 11, 23, 21, 0), reason="swap inside the cover")
    overrides = [swap, cover]
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 22, 17, 59), overrides) == "jiyoung"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 23, 8, 59, 59), overrides) == "seoyeon"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 23, 9, 0), overrides) == "minsu"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 23, 21, 0), overrides) == "seoyeon"
    assert holder(oncall, Tier.PRIMARY, seoul(2026, 11, 24, 9, 0), overrides) == "hyunwoo"

    plan = segments(oncall, Tier.PRIMARY, seoul(2026, 11, 22, 0, 0), seoul(2026, 11, 25, 0, 0), overrides)
    assert [(s.start, s.who, s.override) for s in plan] == [
        (seoul(2026, 11, 22, 0, 0), "jiyoung", None),
        (seoul(2026, 11, 22, 18, 0), "seoyeon", "cover across the handover"),
        (seoul(2026, 11, 23, 9, 0), "minsu", "swap inside the cover"),
        (seoul(2026, 11, 23, 21, 0), "seoyeon", "cover across the handover"),
        (seoul(2026, 11, 24, 9, 0), "hyunwoo", None),
    ]
    assert plan[-1].end == seoul(2026, 11, 25, 0, 0)


def test_override_needs_a_zone_and_a_positive_length():
    with pytest.raises(ValueError, match="UTC offset"):
        Override(tier=Tier.PRIMARY, who="minsu", start=datetime(2026, 12, 1, 9), end=datetime(2026, 12, 2, 9))
    with pytest.raises(ValueError, match="after"):
        Override(tier=Tier.PRIMARY, who="minsu", start=seoul(2026, 12, 2), end=seoul(2026, 12, 1))


# ── daylight saving (Europe/Berlin: 2026-03-29 CET→CEST, 2026-10-25 CEST→CET) ─────────────────────────
@pytest.fixture
def berlin(oncall):
    return oncall.model_copy(update={"rotation": Rotation(timezone="Europe/Berlin", anchor=date(2026, 3, 2))})


def test_handover_stays_at_0900_local_across_spring_forward(berlin):
    rotation = berlin.rotation
    # the shift starting Monday 23 March 09:00 CET (08:00Z) ends Monday 30 March 09:00 CEST (07:00Z): 167 h
    start, end = shift_bounds(rotation, shift_index(rotation, datetime(2026, 3, 25, 12, tzinfo=BERLIN)))
    assert start == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=167)
    # anchor 2026-03-02 → minsu; 3 weeks later (23 March) seoyeon; 30 March minsu again
    assert holder(berlin, Tier.PRIMARY, datetime(2026, 3, 30, 8, 59, 59, tzinfo=BERLIN)) == "seoyeon"
    assert holder(berlin, Tier.PRIMARY, datetime(2026, 3, 30, 9, 0, 0, tzinfo=BERLIN)) == "minsu"
    assert holder(berlin, Tier.PRIMARY, datetime(2026, 3, 30, 6, 59, 59, tzinfo=UTC)) == "seoyeon"
    assert holder(berlin, Tier.PRIMARY, datetime(2026, 3, 30, 7, 0, 0, tzinfo=UTC)) == "minsu"
    # an hour-based clock would have handed over at 08:00Z (10:00 CEST) — that is not what happens
    assert holder(berlin, Tier.PRIMARY, datetime(2026, 3, 30, 7, 30, tzinfo=UTC)) == "minsu"


def test_handover_stays_at_0900_local_across_fall_back(berlin):
    rotation = berlin.rotation
    start, end = shift_bounds(rotation, shift_index(rotation, datetime(2026, 10, 21, 12, tzinfo=BERLIN)))
    assert (start, end) == (datetime(2026, 10, 19, 7, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC))
    assert end - start == timedelta(hours=169)
    before, after = holder(berlin, Tier.PRIMARY, end - timedelta(seconds=1)), holder(berlin, Tier.PRIMARY, end)
    assert before != after
    # the repeated hour 02:00–03:00 on 25 October belongs to the running shift, both times round
    for fold in (0, 1):
        assert holder(berlin, Tier.PRIMARY, datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=fold)) == before


# ── per-tier shifts and handover moments ─────────────────────────────────────────────────────────────
def test_a_tier_can_have_its_own_shift_and_handover(oncall):
    daily = with_tier(oncall, Tier.SECONDARY, members=["jiyoung", "hyunwoo"],
                      rotation=TierRotation(shift=timedelta(days=1), handover_time=time(18, 0),
                                            anchor=date(2026, 11, 2)))
    # Monday 2026-11-02 18:00 starts jiyoung (shift 0); 2026-11-23 18:00 starts shift 21 → hyunwoo
    assert holder(daily, Tier.SECONDARY, seoul(2026, 11, 23, 17, 59)) == "jiyoung"
    assert holder(daily, Tier.SECONDARY, seoul(2026, 11, 23, 18, 0)) == "hyunwoo"
    assert holder(daily, Tier.SECONDARY, seoul(2026, 11, 24, 18, 0)) == "jiyoung"
    assert holder(daily, Tier.PRIMARY, seoul(2026, 11, 23, 9, 0)) == "hyunwoo"  # the team rotation is unchanged


# ── gaps and unreachable people ──────────────────────────────────────────────────────────────────────
def test_a_tier_without_members_is_a_gap_that_check_reports(oncall):
    gap = with_tier(oncall, Tier.SECONDARY, members=[])
    at = seoul(2026, 11, 23, 9, 0)
    assert holder(gap, Tier.SECONDARY, at) is None
    problems = check(gap, at, at + timedelta(weeks=2))
    assert [(p.kind, p.tier) for p in problems] == [("gap", Tier.SECONDARY)]
    assert "secondary: nobody on call" in problems[0].text
    # an override fills part of the gap: the report shrinks to what is left
    fill = Override(tier=Tier.SECONDARY, who="minsu", start=at, end=at + timedelta(weeks=1), reason="filling in")
    problems = check(gap, at, at + timedelta(weeks=2), [fill])
    assert [(p.kind, p.start, p.end) for p in problems] == [("gap", at + timedelta(weeks=1), at + timedelta(weeks=2))]


def test_check_reports_people_nobody_can_reach(oncall):
    people = {**oncall.people, "newbie": Person(name="New Person")}
    unreachable = with_tier(oncall.model_copy(update={"people": people}), Tier.PRIMARY,
                            members=["minsu", "newbie"])
    at = seoul(2026, 11, 23, 9, 0)
    ghost = Override(tier=Tier.TERTIARY, who="ghost", start=at, end=at + timedelta(days=1), reason="?")
    problems = check(unreachable, at, at + timedelta(weeks=1), [ghost])
    assert sorted((p.kind, p.who) for p in problems) == [("no_contact", "newbie"), ("unknown_person", "ghost")]
    assert check(oncall, at, at + timedelta(weeks=8)) == []  # the shipped policy has no gaps


def test_handover_lists_outgoing_and_incoming_per_tier(oncall):
    entries = {e.tier: e for e in handover_at(oncall, seoul(2026, 11, 23, 9, 0))}
    assert (entries[Tier.PRIMARY].outgoing, entries[Tier.PRIMARY].incoming) == ("jiyoung", "hyunwoo")
    assert (entries[Tier.SECONDARY].outgoing, entries[Tier.SECONDARY].incoming) == ("hyunwoo", "seoyeon")
    assert not entries[Tier.TERTIARY].changes
