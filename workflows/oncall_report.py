"""OnCallReportWorkflow: the weekly on-call performance bot. Scheduled every Monday at the team handover;
reports the previous ISO week (or the one asked for) through the notification adapters."""

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from activities.oncall import IncidentWindow, OnCallActivities
    from activities.policy_loader import load_policy_snapshot
    from domain.comms.notifications import Notification
    from domain.oncall.report import OnCallReport, WeekError, build_report, previous_week, render_report, week_window
    from workflows.options import DELIVERY, LOCAL_READ, TEMPORAL_READ

REPORT_WORKFLOW_ID = "oncall-report"


class ReportRequest(BaseModel):
    week: str | None = Field(default=None, description="ISO week like 2026-W47; None: the week before now")
    policy_dir: str | None = None


@workflow.defn
class OnCallReportWorkflow:
    @workflow.run
    async def run(self, request: ReportRequest) -> OnCallReport:
        policy = await workflow.execute_activity(load_policy_snapshot, request.policy_dir, **LOCAL_READ)
        zone = policy.oncall.rotation.timezone
        week = request.week or previous_week(workflow.now(), zone)
        try:
            start, end = week_window(week, zone)
        except WeekError as exc:
            raise ApplicationError(str(exc), type="WeekError", non_retryable=True) from None
        incidents = await workflow.execute_activity_method(
            OnCallActivities.collect_incidents, IncidentWindow(since=start, until=end), **TEMPORAL_READ
        )
        report = build_report(policy, incidents, week)
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(key=f"oncall-report/{week}", kind="report", title=f"On-call report {week}",
                         text=render_report(report)),
            **DELIVERY,
        )
        return report
