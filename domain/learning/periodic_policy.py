"""The periodic checks of seed 000's 정기 점검 항목 (weekly statistics, monthly policy review, quarterly training,
annual improvement plan) as policy: how often, who owns each, when to remind (docs/learning-loop.md,
"Periodic checks")."""

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from domain.common.durations import Duration
from domain.common.models import Strict
from domain.incident.severity import Tier

Every = Literal["week", "month", "quarter", "year"]
CheckId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
SHORTEST = {"week": timedelta(days=7), "month": timedelta(days=28), "quarter": timedelta(days=89),
            "year": timedelta(days=365)}
DEFAULT_REMIND = {"week": timedelta(days=2), "month": timedelta(days=7), "quarter": timedelta(days=7),
                  "year": timedelta(days=7)}


class PeriodicCheck(Strict):
    every: Every = Field(description="Calendar period in the team's zone: ISO week, month, quarter or year")
    title: str = Field(min_length=1, max_length=200, description="What is checked, as reminders name it")
    owner: Tier = Field(Tier.TERTIARY, description="The tier whose person on call is named in the reminders")
    remind_before_end: Duration | None = Field(
        None, description="Remind this long before the period ends if not done (default: 2d for a week, else 7d)")
    done_when: Literal["drill"] | None = Field(
        None, description="`drill`: a drill training record completed within the period also completes it")

    @model_validator(mode="after")
    def _fits_in_period(self) -> "PeriodicCheck":
        remind = self.remind_before_end
        if remind is not None and not timedelta(0) < remind < SHORTEST[self.every]:
            raise ValueError(f"remind_before_end must be more than 0 and shorter than a {self.every}")
        return self

    @property
    def remind(self) -> timedelta:
        return self.remind_before_end if self.remind_before_end is not None else DEFAULT_REMIND[self.every]


def default_checks() -> dict[str, PeriodicCheck]:
    return {
        "weekly-stats": PeriodicCheck(every="week", title="주간 인시던트 통계 분석 (weekly incident statistics)"),
        "monthly-review": PeriodicCheck(every="month",
                                        title="월간 정책 및 절차 검토 (monthly policy and procedure review)"),
        "quarterly-training": PeriodicCheck(every="quarter", done_when="drill",
                                            title="분기별 훈련 및 교육 진행 (quarterly training: a tabletop drill)"),
        "annual-plan": PeriodicCheck(every="year", title="연간 개선 계획 수립 및 실행 (annual improvement plan)"),
    }


PeriodicChecks = Annotated[dict[CheckId, PeriodicCheck], Field(
    default_factory=default_checks, description="Periodic checks by id (seed 000 정기 점검 항목)")]
