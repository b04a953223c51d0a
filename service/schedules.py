"""The bots' Temporal Schedules, created idempotently (worker start-up and `incident schedules sync`).

They run at the team handover moment of the policy (default Monday 09:00) in the rotation's IANA zone, so
the server keeps 09:00 local across daylight-saving changes. Overlap policy SKIP: a run still going when
the next one is due is not doubled up (the periodic checks, whose runs last their period, allow overlap).
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
from workflows.periodic import PERIODIC_WORKFLOW_ID_PREFIX, PeriodicCheckJob, PeriodicCheckWorkflow
from workflows.review import MONTHLY_REVIEW_WORKFLOW_ID, WEEKLY_REVIEW_WORKFLOW_ID, ReviewJob, ReviewWorkflow

HANDOVER_SCHEDULE_ID = "incidentflow-oncall-handover"
REPORT_SCHEDULE_ID = "incidentflow-oncall-report"
WEEKLY_REVIEW_SCHEDULE_ID = "incidentflow-review-weekly"
MONTHLY_REVIEW_SCHEDULE_ID = "incidentflow-review-monthly"
PERIODIC_SCHEDULE_PREFIX = "incidentflow-periodic-"
PERIODIC_NAMES = {"week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "annual"}
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


def _handover_day(policy: Policy) -> list[ScheduleRange]:
    return [ScheduleRange((WEEKDAYS.index(policy.oncall.rotation.handover_weekday) + 1) % 7)]  # Sunday = 0


def weekly_spec(policy: Policy) -> ScheduleSpec:
    return _spec(policy, "team on-call handover", day_of_week=_handover_day(policy))


def monthly_spec(policy: Policy) -> ScheduleSpec:
    """The first day of each month at the handover time (the monthly review)."""
    return _spec(policy, "monthly incident review", day_of_month=[ScheduleRange(1)])


def periodic_spec(policy: Policy, every: str) -> ScheduleSpec:
    """A periodic check's period opens on its first calendar day, at the handover time. Not the first working
    day: a calendar day is what the schedule (and whoever reads it) can state plainly, and the check's work
    happens during the period anyway; the reminder before the end is what catches a holiday start."""
    comment = f"{PERIODIC_NAMES[every]} periodic check"
    if every == "week":
        return _spec(policy, comment, day_of_week=_handover_day(policy))
    months = {"month": ScheduleRange(1, 12), "quarter": ScheduleRange(1, 10, 3), "year": ScheduleRange(1)}[every]
    return _spec(policy, comment, day_of_month=[ScheduleRange(1)], month=[months])


def describe_when(policy: Policy, monthly: bool = False, every: str | None = None) -> str:
    rotation = policy.oncall.rotation
    day = {None: f"every {rotation.handover_weekday}", "week": f"every {rotation.handover_weekday}",
           "month": "1st of every month", "quarter": "1st of January, April, July and October",
           "year": "1st of January"}[every]
    if monthly:
        day = "1st of every month"
    return f"{day} {rotation.handover_time:%H:%M} {rotation.timezone}"


def periodic_schedule_ids(policy: Policy) -> dict[str, tuple[str, str]]:
    """schedule id → (check id, period kind): `incidentflow-periodic-weekly` for the first check of each kind
    (the shipped policy has one of each), `incidentflow-periodic-weekly-<check>` for any further one."""
    out: dict[str, tuple[str, str]] = {}
    for item, check in policy.incident.learning.periodic_checks.items():
        schedule_id = PERIODIC_SCHEDULE_PREFIX + PERIODIC_NAMES[check.every]
        out[schedule_id if schedule_id not in out else f"{schedule_id}-{item}"] = (item, check.every)
    return out


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
        **_periodic_schedules(policy, task_queue, policy_dir),
    }


def _periodic_schedules(policy: Policy, task_queue: str, policy_dir: str | None) -> dict[str, Schedule]:
    """A run lasts its whole period (its reminder and missed notice are durable timers), so no execution timeout;
    each run is for its own period, so a run still finishing never makes the next one skip."""
    schedule_policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=CATCHUP_WINDOW)
    return {
        schedule_id: Schedule(
            action=ScheduleActionStartWorkflow(
                PeriodicCheckWorkflow.run, PeriodicCheckJob(item=item, policy_dir=policy_dir),
                id=PERIODIC_WORKFLOW_ID_PREFIX + item, task_queue=task_queue,
                static_summary=f"정기 점검: {PERIODIC_NAMES[every]} periodic check {item}"),
            spec=periodic_spec(policy, every), policy=schedule_policy)
        for schedule_id, (item, every) in periodic_schedule_ids(policy).items()
    }


async def ensure_schedules(client: Client, policy: Policy, task_queue: str,
                           policy_dir: str | None = None) -> list[ScheduleSync]:
    """Create the schedules, or bring existing ones in line with the policy (keeping a paused state)."""
    results, periodic = [], periodic_schedule_ids(policy)
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
        when = describe_when(policy, monthly=schedule_id == MONTHLY_REVIEW_SCHEDULE_ID,
                             every=periodic.get(schedule_id, (None, None))[1])
        results.append(ScheduleSync(id=schedule_id, action=action, when=when))
    return results
