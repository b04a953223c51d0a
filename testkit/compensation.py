"""Hand-computed months for the on-call compensation report (docs/oncall.md, "Compensation"): October 2026 in
Seoul has 개천절 on Saturday the 3rd, its substitute holiday on Monday the 5th and 한글날 on Friday the 9th."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from domain.incident.state import IncidentState, Page, Roles
from domain.oncall.rotation import Override
from domain.policy.oncall_policy import Compensation, OnCallPolicy, TierSpec

SEOUL = ZoneInfo("Asia/Seoul")
RATES = Compensation(currency="KRW", per_off_hours_hour=Decimal(1000), per_weekend_shift_hour=Decimal(5000),
                     per_holiday_hour=Decimal(10000), per_off_hours_page=Decimal(20000),
                     per_night_page=Decimal(30000))


def kst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


def incident(id_: str, at: datetime, pages: list[tuple[str, str, int]], ack: tuple[str, int] | None = None,
             ic: str | None = None, drill: bool = False) -> IncidentState:
    """pages: (tier, target, minutes after `at`); ack: (who, minutes after `at`)."""
    state = IncidentState(id=id_, title=f"incident {id_}", service="payments", severity=Severity.SEV2, drill=drill,
                          declared_by="test", started_at=at, detected_at=at, phase=Phase.RESOLVED,
                          resolved_at=at + timedelta(hours=1), roles=Roles(ic=ic))
    state.pages = [Page(tier=Tier(t), target=who, at=at + timedelta(minutes=m), reason="r", key=f"{id_}/{i}")
                   for i, (t, who, m) in enumerate(pages)]
    if ack:
        state.acknowledged_by, state.acknowledged_at = ack[0], at + timedelta(minutes=ack[1])
    return state


def one_person_rotation(oncall: OnCallPolicy) -> OnCallPolicy:
    """minsu holds primary all year, nobody secondary; the team lead and the CTO above them (not paid hours)."""
    tiers = {
        Tier.PRIMARY: TierSpec(name="1차", members=["minsu"]),
        Tier.SECONDARY: TierSpec(name="2차", members=[]),
        Tier.TERTIARY: TierSpec(name="3차", members=["sre-lead"]),
        Tier.EXECUTIVE: TierSpec(name="4차", members=["cto"]),
    }
    return oncall.model_copy(update={"tiers": tiers, "compensation": RATES})


OCTOBER_OVERRIDES = [
    # jiyoung takes the weekend of 10–11 October (48 h, no holiday) from minsu
    Override(tier=Tier.PRIMARY, who="jiyoung", start=kst(10, 10, 0), end=kst(10, 12, 0), reason="swap"),
    # minsu also covers secondary for an hour while on primary: the same hour, counted once
    Override(tier=Tier.SECONDARY, who="minsu", start=kst(10, 1, 9), end=kst(10, 1, 10), reason="cover"),
]

OCTOBER_INCIDENTS = [
    # September: outside the month, nothing counts
    incident("SEP", kst(9, 30, 22), [("primary", "minsu", 0)], ack=("minsu", 5)),
    # Tuesday 14:00, working hours: a page, no page pay; acknowledged in 5 min
    incident("A", kst(10, 6, 14), [("primary", "minsu", 0)], ack=("minsu", 5)),
    # Wednesday 23:30: a night page (and off-hours); acknowledged in 10 min, minsu is IC
    incident("B", kst(10, 7, 23, 30), [("primary", "minsu", 0)], ack=("minsu", 10), ic="minsu"),
    # 한글날 03:00: a night page on a holiday; acknowledged in 2 min
    incident("C", kst(10, 9, 3), [("primary", "minsu", 0)], ack=("minsu", 2)),
    # Saturday 20:00 (jiyoung's override): off-hours, not night; the team lead is paged at 20:15 and is IC
    incident("D", kst(10, 10, 20), [("primary", "jiyoung", 0), ("tertiary", "sre-lead", 15)], ack=("jiyoung", 10),
             ic="sre-lead"),
    # a drill at night: left out
    incident("DRILL", kst(10, 14, 2), [("primary", "minsu", 0)], ack=("minsu", 1), drill=True),
]

# With the policy of policies/ (weekly, Monday 09:00; KRW 5,000 per weekend hour, 10,000 per holiday hour, 30,000
# per night page): minsu is secondary 5–12 October (from the substitute holiday's 09:00) and primary 12–19.
# jiyoung (secondary that week anyway) takes primary for the weekend of 17–18 October.
POLICY_OCTOBER_OVERRIDE = Override(tier=Tier.PRIMARY, who="jiyoung", start=kst(10, 17, 0), end=kst(10, 19, 0),
                                   reason="weekend swap")
POLICY_OCTOBER_INCIDENTS = [incident("N", kst(10, 13, 2), [("primary", "minsu", 0)], ack=("minsu", 3))]
# 336 h less the 48 swapped: 39 holiday hours (5th from 09:00, the 9th), 48 weekend hours (10–11th), 216
# off-hours; 48 × 5,000 + 39 × 10,000 + one night page × 30,000
POLICY_OCTOBER_MINSU_CSV = ("2026-10,minsu,Kim Minsu,288,216,48,39,1,1,1,1,1,180,0.00,240000.00,390000.00,0.00,"
                            "30000.00,660000.00,KRW")
POLICY_OCTOBER_MINSU_MD = ("| Kim Minsu (minsu) | 288 | 216 | 48 | 39 | 1 | 1 | 1 | 1 | 3m00s | 0 | 240,000 | 390,000 "
                           "| 0 | 30,000 | **660,000** |")
