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

from domain.policy import WEEKDAYS, Policy
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


def weekly_spec(policy: Policy) -> ScheduleSpec:
    rotation = policy.oncall.rotation
    at = rotation.handover_time
    temporal_weekday = (WEEKDAYS.index(rotation.handover_weekday) + 1) % 7  # Temporal counts from Sunday = 0
    calendar = ScheduleCalendarSpec(
        second=[ScheduleRange(at.second)], minute=[ScheduleRange(at.minute)], hour=[ScheduleRange(at.hour)],
        day_of_week=[ScheduleRange(temporal_weekday)], comment="team on-call handover",
    )
    return ScheduleSpec(calendars=[calendar], time_zone_name=rotation.timezone)


def monthly_spec(policy: Policy) -> ScheduleSpec:
    """The first day of each month at the handover time (the monthly review)."""
    rotation = policy.oncall.rotation
    at = rotation.handover_time
    calendar = ScheduleCalendarSpec(
        second=[ScheduleRange(at.second)], minute=[ScheduleRange(at.minute)], hour=[ScheduleRange(at.hour)],
        day_of_month=[ScheduleRange(1)], comment="monthly incident review",
    )
    return ScheduleSpec(calendars=[calendar], time_zone_name=rotation.timezone)


def describe_when(policy: Policy) -> str:
    rotation = policy.oncall.rotation
    return f"every {rotation.handover_weekday} {rotation.handover_time:%H:%M} {rotation.timezone}"


def desired_schedules(policy: Policy, task_queue: str, policy_dir: str | None = None) -> dict[str, Schedule]:
    spec = weekly_spec(policy)
    schedule_policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW)
    return {
        HANDOVER_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                HandoverWorkflow.run, HandoverRequest(policy_dir=policy_dir), id=HANDOVER_WORKFLOW_ID,
                task_queue=task_queue, execution_timeout=timedelta(hours=1),
                static_summary="온콜 핸드오버 봇: weekly on-call handover",
            ),
            spec=spec, policy=schedule_policy,
        ),
        REPORT_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                OnCallReportWorkflow.run, ReportRequest(policy_dir=policy_dir), id=REPORT_WORKFLOW_ID,
                task_queue=task_queue, execution_timeout=timedelta(hours=1),
                static_summary="온콜 성과 봇: weekly on-call report",
            ),
            spec=spec, policy=schedule_policy,
        ),
        WEEKLY_REVIEW_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                ReviewWorkflow.run, ReviewJob(kind="weekly", policy_dir=policy_dir), id=WEEKLY_REVIEW_WORKFLOW_ID,
                task_queue=task_queue, execution_timeout=timedelta(hours=1),
                static_summary="주간 리뷰: weekly incident review",
            ),
            spec=spec, policy=schedule_policy,
        ),
        MONTHLY_REVIEW_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                ReviewWorkflow.run, ReviewJob(kind="monthly", policy_dir=policy_dir), id=MONTHLY_REVIEW_WORKFLOW_ID,
                task_queue=task_queue, execution_timeout=timedelta(hours=1),
                static_summary="월간 리뷰: monthly incident review",
            ),
            spec=monthly_spec(policy), policy=schedule_policy,
        ),
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
        when = describe_when(policy) if schedule_id != MONTHLY_REVIEW_SCHEDULE_ID else (
            f"1st of every month {policy.oncall.rotation.handover_time:%H:%M} {policy.oncall.rotation.timezone}")
        results.append(ScheduleSync(id=schedule_id, action=action, when=when))
    return results
