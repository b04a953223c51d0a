"""ReviewWorkflow: the weekly and monthly incident review (seed 000 주간/월간 리뷰), scheduled at the team
handover; writes the Markdown + chart report and posts it through the notification adapters."""

from typing import Literal

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.learning import LedgerActivities, ReviewRequest, ReviewWritten
    from activities.notify import NotificationActivities
    from activities.policy_loader import load_policy_snapshot
    from domain.comms.notifications import Notification
    from domain.learning.reports import previous_period_label
    from workflows.options import DELIVERY, LEDGER, LOCAL_READ

WEEKLY_REVIEW_WORKFLOW_ID = "incident-review-weekly"
MONTHLY_REVIEW_WORKFLOW_ID = "incident-review-monthly"


class ReviewJob(BaseModel):
    kind: Literal["weekly", "monthly"] = "weekly"
    period: str | None = None  # None: the period that just ended
    policy_dir: str | None = None


@workflow.defn
class ReviewWorkflow:
    @workflow.run
    async def run(self, job: ReviewJob) -> ReviewWritten:
        policy = await workflow.execute_activity(load_policy_snapshot, job.policy_dir, **LOCAL_READ)
        period = job.period or previous_period_label(job.kind, workflow.now(), policy.incident.timezone)
        written = await workflow.execute_activity_method(
            LedgerActivities.write_review,
            ReviewRequest(policy=policy, kind=job.kind, period=period, at=workflow.now()), **LEDGER,
        )
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(key=f"review/{job.kind}/{period}", kind="report", title=f"Incident review {period}",
                         text=f"{written.markdown}\n\n(report: {written.markdown_path}, chart: {written.chart_path})"),
            **DELIVERY,
        )
        return written
