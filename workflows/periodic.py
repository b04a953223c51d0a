"""PeriodicCheckWorkflow: one periodic check (seed 000 정기 점검 항목) through one period, started by the
`incidentflow-periodic-*` schedules at the period's first day. Posts that it is due, sleeps on a durable timer
until `remind_before_end` before the end and reminds if the ledger has no completion, then at the end posts
that it was missed if there still is none."""

from datetime import datetime

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.learning import LedgerActivities, PeriodicQuery
    from activities.notify import NotificationActivities
    from activities.oncall import OnCallActivities
    from activities.policy_loader import load_policy_snapshot
    from domain.comms.notifications import Notification
    from domain.learning import periodic as pc
    from domain.learning.periodic_notices import NoticeKind, notice_text
    from domain.oncall.rotation import holder
    from domain.policy.model import Policy
    from workflows.options import DELIVERY, LEDGER, LOCAL_READ

PERIODIC_WORKFLOW_ID_PREFIX = "periodic-"


class PeriodicCheckJob(BaseModel):
    item: str = Field(description="A check id of the policy's learning.periodic_checks")
    period: str | None = Field(None, description="e.g. 2026-W49, 2026-12, 2026-Q4, 2026; None: the current one")
    policy_dir: str | None = None


class PeriodicOutcome(BaseModel):
    item: str
    period: str
    status: pc.Status
    notices: list[str] = Field(description="What was posted: due, reminder, missed")


@workflow.defn
class PeriodicCheckWorkflow:
    @workflow.run
    async def run(self, job: PeriodicCheckJob) -> PeriodicOutcome:
        policy = await workflow.execute_activity(load_policy_snapshot, job.policy_dir, **LOCAL_READ)
        checks, zone = policy.incident.learning.periodic_checks, policy.incident.timezone
        if job.item not in checks:
            raise ApplicationError(f"unknown periodic check {job.item!r} (the policy's checks: {', '.join(checks)})",
                                   non_retryable=True)
        check = checks[job.item]
        try:
            span = pc.parse_label(check.every, job.period, zone) if job.period \
                else pc.period_at(check.every, workflow.now(), zone)
        except ValueError as exc:
            raise ApplicationError(f"{job.item}: {exc}", non_retryable=True) from None
        await self._sleep_until(span.start)
        sent: list[str] = []
        status = await self._status(policy, job.item, span.label)
        if status.status != "done" and workflow.now() < span.end:
            await self._notify(policy, "due", status, sent)
        if status.status != "done" and workflow.now() < status.remind_at:
            await self._sleep_until(status.remind_at)
            status = await self._status(policy, job.item, span.label)
            if status.status != "done":
                await self._notify(policy, "reminder", status, sent)
        if status.status != "done":
            await self._sleep_until(span.end)
            status = await self._status(policy, job.item, span.label)
            if status.status != "done":
                await self._notify(policy, "missed", status, sent)
        return PeriodicOutcome(item=job.item, period=span.label, status=status.status, notices=sent)

    async def _sleep_until(self, at: datetime) -> None:
        if at > workflow.now():
            await workflow.sleep(at - workflow.now())

    async def _status(self, policy: Policy, item: str, period: str) -> pc.CheckStatus:
        return await workflow.execute_activity_method(
            LedgerActivities.periodic_status, PeriodicQuery(policy=policy, item=item, period=period,
                                                            at=workflow.now()), **LEDGER)

    async def _notify(self, policy: Policy, kind: NoticeKind, status: pc.CheckStatus, sent: list[str]) -> None:
        overrides = await workflow.execute_activity_method(OnCallActivities.list_overrides, **LOCAL_READ)
        owner = holder(policy.oncall, status.owner, workflow.now(), overrides)
        drill = policy.incident.learning.periodic_checks[status.item].done_when == "drill"
        text = notice_text(kind, status, drill, owner, policy.person_name(owner) if owner else None,
                           policy.incident.timezone)
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(key=f"periodic/{status.item}/{status.period}/{kind}", kind="report",
                         to=[owner] if owner else [], title=f"Periodic check {kind}: {status.item} {status.period}",
                         text=text),
            **DELIVERY,
        )
        sent.append(kind)
