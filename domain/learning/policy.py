"""The learning-loop part of the policy: postmortem deadline and reminders, action-item nags, and the
targets the weekly/monthly review compares against (seed 000 "목표 및 현황")."""

from datetime import timedelta

from pydantic import Field, field_validator

from domain.common.durations import Duration
from domain.common.models import Strict
from domain.incident.severity import Tier
from domain.learning.periodic_policy import PeriodicChecks


class PostmortemPolicy(Strict):
    deadline: Duration = Field(timedelta(hours=48), description="Time after resolution to publish the postmortem")
    remind_before: list[Duration] = Field(
        [timedelta(hours=24), timedelta(hours=2)], description="Reminders to the owner this long before the deadline"
    )
    missed_notify_tier: Tier = Field(Tier.TERTIARY, description="Who is told when the deadline passes (team lead)")
    template: str = Field("postmortem-template.md", description="Jinja2 Markdown file in the policy directory")
    required_sections: list[str] = Field(
        ["Summary", "Root cause", "What went well", "What went poorly", "5 Whys"],
        description="`## ` sections that must hold more than the template's text before publishing (else --force)")

    @field_validator("remind_before")
    @classmethod
    def _positive(cls, value: list[timedelta]) -> list[timedelta]:
        if any(v <= timedelta(0) for v in value):
            raise ValueError("reminders must be more than 0 before the deadline")
        return sorted(value, reverse=True)


class ActionItemPolicy(Strict):
    nag_every: Duration = Field(timedelta(weeks=1), description="After the due date, remind the owner this often")


class LearningTargets(Strict):
    mtbf: Duration = Field(timedelta(days=30), description="Mean time between failures per service: at least this")
    recurrence_rate: float = Field(0.10, ge=0, le=1, description="Share of recurring incidents: below this")


class LearningPolicy(Strict):
    postmortem: PostmortemPolicy = PostmortemPolicy()
    action_items: ActionItemPolicy = ActionItemPolicy()
    targets: LearningTargets = LearningTargets()
    recurrence_window: Duration = Field(
        timedelta(days=90), description="An incident matching one that started this recently is a recurrence"
    )
    procedure_compliance_target: float = Field(0.8, ge=0, le=1, description="Share of procedure steps done on time")
    periodic_checks: PeriodicChecks
