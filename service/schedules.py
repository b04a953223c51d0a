"""The bots' Temporal Schedules, created idempotently (worker start-up and `incident schedules sync`).

Both run at the team handover moment of the policy (default Monday 09:00) in the rotation's IANA zone, so
the server keeps 09:00 local across daylight-saving changes. Overlap policy SKIP: a run still going when
the next one is due is not doubled up.
"""

from datetime import timedelta

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.policy.model import Policy
from domain.policy.oncall_policy import WEEKDAYS
from workflows.handover import HANDOVER_WORKFLOW_ID, HandoverRequest, HandoverWorkflow
from workflows.oncall_report import REPORT_WORKFLOW_ID, OnCallReportWorkflow, ReportRequest
from workflows.review import MONTHLY_REVIEW_WORKFLOW_ID, WEEKLY_REVIEW_WORKFLOW_ID, ReviewJob, ReviewWorkflow

HANDOVER_SCHEDULE_ID = "incidentflow-oncall-handover"
REPORT_SCHEDULE_ID = "incidentflow-oncall-report"
WEEKLY_REVIEW_SCHEDULE_ID = "incidentflow-review-weekly"
MONTHLY_REVIEW_SCHEDULE_ID = "incidentflow-review-monthly"
CATCHUP_WINDOW = timedelta(hours=6)  # a server down over Monday 09:00 still sends the handover that morning


class ScheduleSync(BaseModel):
    id: str
    action: str  # created | updated
    when: str


def _spec(policy: Policy, comment: str, **days: list[ScheduleRange]) -> ScheduleSpec:
    """At the team handover time, in the rotation's zone, on the given days."""
    rotation = policy.oncall.rotation
    at = rotation.handover_time
    calendar = ScheduleCalendarSpec(
        second=[ScheduleRange(at.second)], minute=[ScheduleRange(at.minute)], hour=[ScheduleRange(at.hour)],
        comment=comment, **days,
    )
    return ScheduleSpec(calendars=[calendar], time_zone_name=rotation.timezone)


def weekly_spec(policy: Policy) -> ScheduleSpec:
    temporal_weekday = (WEEKDAYS.index(policy.oncall.rotation.handover_weekday) + 1) % 7  # Sunday = 0
    return _spec(policy, "team on-call handover", day_of_week=[ScheduleRange(temporal_weekday)])


def monthly_spec(policy: Policy) -> ScheduleSpec:
    """The first day of each month at the handover time (the monthly review)."""
    return _spec(policy, "monthly incident review", day_of_month=[ScheduleRange(1)])


def describe_when(policy: Policy, monthly: bool = False) -> str:
    rotation = policy.oncall.rotation
    day = "1st of every month" if monthly else f"every {rotation.handover_weekday}"
    return f"{day} {rotation.handover_time:%H:%M} {rotation.timezone}"


def desired_schedules(policy: Policy, task_queue: str, policy_dir: str | None = None) -> dict[str, Schedule]:
    schedule_policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW)

    def bot(run, argument, workflow_id: str, summary: str, spec: ScheduleSpec) -> Schedule:
        return Schedule(
            action=ScheduleActionStartWorkflow(run, argument, id=workflow_id, task_queue=task_queue,
                                               execution_timeout=timedelta(hours=1), static_summary=summary),
            spec=spec, policy=schedule_policy,
        )

    weekly = weekly_spec(policy)
    return {
        HANDOVER_SCHEDULE_ID: bot(HandoverWorkflow.run, HandoverRequest(policy_dir=policy_dir), HANDOVER_WORKFLOW_ID,
                                  "온콜 핸드오버 봇: weekly on-call handover", weekly),
        REPORT_SCHEDULE_ID: bot(OnCallReportWorkflow.run, ReportRequest(policy_dir=policy_dir), REPORT_WORKFLOW_ID,
                                "온콜 성과 봇: weekly on-call report", weekly),
        WEEKLY_REVIEW_SCHEDULE_ID: bot(ReviewWorkflow.run, ReviewJob(kind="weekly", policy_dir=policy_dir),
                                       WEEKLY_REVIEW_WORKFLOW_ID, "주간 리뷰: weekly incident review", weekly),
        MONTHLY_REVIEW_SCHEDULE_ID: bot(ReviewWorkflow.run, ReviewJob(kind="monthly", policy_dir=policy_dir),
                                        MONTHLY_REVIEW_WORKFLOW_ID, "월간 리뷰: monthly incident review",
                                        monthly_spec(policy)),
    }


async def ensure_schedules(client: Client, policy: Policy, task_queue: str,
                           policy_dir: str | None = None) -> list[ScheduleSync]:
    """Create the schedules, or bring existing ones in line with the policy (keeping a paused state)."""
    results = []
    for schedule_id, schedule in desired_schedules(policy, task_queue, policy_dir).items():
        try:
            await client.create_schedule(schedule_id, schedule)
            action = "created"
        except ScheduleAlreadyRunningError:
            def replace(current: ScheduleUpdateInput, desired: Schedule = schedule) -> ScheduleUpdate:
                desired.state = current.description.schedule.state
                return ScheduleUpdate(schedule=desired)

            await client.get_schedule_handle(schedule_id).update(replace)
            action = "updated"
        when = describe_when(policy, monthly=schedule_id == MONTHLY_REVIEW_SCHEDULE_ID)
        results.append(ScheduleSync(id=schedule_id, action=action, when=when))
    return results
