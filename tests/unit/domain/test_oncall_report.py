"""The on-call report's figures against a hand-computed week (2026-W47 = Mon 16 – Sun 22 November, Seoul)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from domain.incident.state import Escalation, IncidentState, Page
from domain.oncall.handover import build_handover
from domain.oncall.report import WeekError, build_report, median, p90, previous_week, week_window
from domain.oncall.rotation import Override

SEOUL = ZoneInfo("Asia/Seoul")


def kst(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


def incident(id_: str, at: datetime, pages: list[tuple[str, str, int]], ack: tuple[str, int] | None = None,
             no_answer_after: int | None = None, drill: bool = False, severity=Severity.SEV1,
             phase=Phase.RESOLVED) -> IncidentState:
    """pages: (tier, target, minutes after `at`); ack: (who, minutes after `at`)."""
    state = IncidentState(id=id_, title=f"incident {id_}", service="payments", severity=severity, drill=drill,
                          declared_by="test", started_at=at, detected_at=at, phase=phase,
                          resolved_at=at + timedelta(hours=1) if not phase.is_open else None)
    state.pages = [Page(tier=Tier(t), target=who, at=at + timedelta(minutes=m), reason="r", key=f"{id_}/{i}")
                   for i, (t, who, m) in enumerate(pages)]
    if ack:
        state.acknowledged_by, state.acknowledged_at = ack[0], at + timedelta(minutes=ack[1])
    if no_answer_after is not None:
        state.escalations = [Escalation(rule="ack-timeout", tier=Tier.SECONDARY,
                                        at=at + timedelta(minutes=no_answer_after), paged=True)]
    return state


@pytest.fixture
def week_47():
    return [
        # A: jiyoung (primary) never answers; ack-timeout at 5 min pages hyunwoo, who acks 2 min later
        incident("A", kst(16, 10), [("primary", "jiyoung", 0), ("secondary", "hyunwoo", 5)], ack=("hyunwoo", 7),
                 no_answer_after=5),
        # B: off-hours (23:30), jiyoung acks in 4 min
        incident("B", kst(17, 23, 30), [("primary", "jiyoung", 0)], ack=("jiyoung", 4), severity=Severity.SEV2),
        # C: office hours, jiyoung acks in 1 min
        incident("C", kst(18, 14), [("primary", "jiyoung", 0)], ack=("jiyoung", 1), severity=Severity.SEV3),
        # D: Saturday 08:00 (off-hours and weekend), jiyoung acks in 10 min
        incident("D", kst(21, 8), [("primary", "jiyoung", 0)], ack=("jiyoung", 10), severity=Severity.SEV2),
        # G: nobody paged answers; the team lead (not paged) acknowledges from the channel
        incident("G", kst(19, 12), [("primary", "jiyoung", 0), ("secondary", "hyunwoo", 5)],
                 ack=("sre-lead", 6), no_answer_after=5),
        # H: exactly at the start of the week (Monday 00:00 Seoul) — inside, off-hours
        incident("H", kst(16, 0), [("primary", "seoyeon", 0)]),
        # outside the week or drills: none of these count
        incident("F", kst(23, 0), [("primary", "hyunwoo", 0)], ack=("hyunwoo", 1)),  # next Monday 00:00
        incident("P", kst(15, 23, 59), [("primary", "jiyoung", 0)], ack=("jiyoung", 30)),  # Sunday before
        incident("E", kst(19, 15), [("primary", "jiyoung", 0)], ack=("jiyoung", 2), drill=True),
    ]


def test_report_figures_match_the_hand_computed_week(policy, week_47):
    report = build_report(policy, week_47, "2026-W47")
    assert (report.start, report.end) == (kst(16, 0), kst(23, 0))
    assert (report.pages, report.incidents) == (8, 6)
    by = {r.who: r for r in report.responders}
    assert [r.who for r in report.responders] == ["jiyoung", "hyunwoo", "seoyeon"]  # most paged first

    jiyoung = by["jiyoung"]
    assert (jiyoung.pages, jiyoung.acknowledged) == (5, 3)
    assert sorted(jiyoung.ack_seconds) == [60, 240, 600]
    assert (jiyoung.median_ack_seconds, jiyoung.p90_ack_seconds) == (240, 600)
    assert (jiyoung.off_hours_pages, jiyoung.weekend_pages, jiyoung.no_answer_escalations) == (2, 1, 2)
    assert jiyoung.name == "Lee Jiyoung"

    hyunwoo = by["hyunwoo"]
    assert (hyunwoo.pages, hyunwoo.acknowledged, hyunwoo.ack_seconds) == (2, 1, [120])
    assert (hyunwoo.median_ack_seconds, hyunwoo.p90_ack_seconds) == (120, 120)
    assert (hyunwoo.off_hours_pages, hyunwoo.no_answer_escalations) == (0, 0)

    seoyeon = by["seoyeon"]
    assert (seoyeon.pages, seoyeon.acknowledged, seoyeon.median_ack_seconds) == (1, 0, None)
    assert seoyeon.off_hours_pages == 1

    tiers = {t.tier: t for t in report.tiers}
    assert (tiers[Tier.PRIMARY].pages, tiers[Tier.PRIMARY].incidents, tiers[Tier.PRIMARY].off_hours_pages) == (6, 6, 3)
    assert tiers[Tier.PRIMARY].no_answer_escalations == 2
    assert (tiers[Tier.SECONDARY].pages, tiers[Tier.SECONDARY].incidents) == (2, 2)
    assert (tiers[Tier.TERTIARY].pages, tiers[Tier.EXECUTIVE].pages) == (0, 0)


def test_percentiles_and_weeks():
    assert median([60, 240]) == 150
    assert p90(list(range(1, 11))) == 9  # nearest rank: the 9th of 10
    assert p90(list(range(1, 12))) == 10  # ⌈9.9⌉ = 10th of 11
    assert median([]) is None and p90([]) is None
    assert week_window("2026-W01", "Asia/Seoul")[0] == datetime(2025, 12, 29, tzinfo=SEOUL)
    assert previous_week(kst(23, 9), "Asia/Seoul") == "2026-W47"
    with pytest.raises(WeekError, match="ISO week"):
        week_window("2026-47", "Asia/Seoul")
    assert week_window("2026-W53", "Asia/Seoul")[0] == datetime(2026, 12, 28, tzinfo=SEOUL)  # 2026 has 53
    with pytest.raises(WeekError, match="no week 53"):
        week_window("2027-W53", "Asia/Seoul")


def test_handover_message_names_people_and_lists_incidents(policy, week_47):
    at = kst(23, 9)
    open_one = incident("OPEN", kst(22, 20), [("primary", "jiyoung", 0)], phase=Phase.MITIGATING)
    swap = Override(tier=Tier.SECONDARY, who="minsu", start=at, end=at + timedelta(days=2), reason="swap")
    handover = build_handover(policy, at, [*week_47, open_one], [swap])
    text = handover.text
    assert "1차 온콜 (Primary): Lee Jiyoung (jiyoung) → Park Hyunwoo (hyunwoo)" in text
    assert "2차 온콜 (Secondary): Park Hyunwoo (hyunwoo) → Kim Minsu (minsu)" in text  # the override wins
    assert "SRE Team Lead (@game-sre-lead) (sre-lead) continues" in text
    assert handover.recipients == ["jiyoung", "hyunwoo", "minsu"]
    assert "Open incidents (1):\n- OPEN SEV1 payments: incident OPEN [mitigating]" in text
    past = text.split("Incidents of the past week (")[1].split("Postmortems due")[0]
    assert past.startswith("7):")  # A B C D G H OPEN — not F (after), P (before) or the drill E
    assert " E SEV1" not in text
    # Sev1-3 resolved incidents whose postmortem is still open, with the 48 h deadline; Sev3 needs none
    postmortems = text.split("Postmortems due (")[1].split("Action items due")[0]
    assert "A SEV1 incident A: due" in postmortems and "C SEV3" not in postmortems
