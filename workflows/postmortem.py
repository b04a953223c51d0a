"""PostmortemWorkflow: started by the incident at resolution as a child that outlives it (parent-close
ABANDON). Writes the draft, reminds the owner before the deadline (24 h and 2 h before by default), tells
the team lead's tier when the deadline passes and records the miss, and on `publish` stores the final
document and closes the incident (signal `submit` with a `publish_postmortem` decision)."""

import asyncio
import contextlib
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.learning import DraftRequest, LedgerActivities, PostmortemUpdate, PublishRequest
    from activities.notify import NotificationActivities
    from domain.common.limits import Actor
    from domain.comms.messages import local_time
    from domain.comms.notifications import Notification
    from domain.incident.decisions import PublishPostmortem
    from domain.incident.records import PostmortemRecord
    from domain.incident.state import IncidentState
    from domain.learning import postmortem as pm
    from domain.oncall.rotation import holder
    from domain.policy.model import Policy
    from workflows.options import DELIVERY, LEDGER

WORKFLOW_ID_PREFIX = "postmortem-"


def postmortem_workflow_id(incident_id: str) -> str:
    return WORKFLOW_ID_PREFIX + incident_id


class PostmortemStart(BaseModel):
    state: IncidentState = Field(description="The incident as it was at resolution")
    policy: Policy
    policy_dir: str | None = None
    incident_workflow_id: str


class Publish(BaseModel):
    by: Actor
    root_cause: str | None = Field(default=None, max_length=80, description="Overrides the draft's category")


class SentReminder(BaseModel):
    key: str
    at: datetime


class PostmortemStatus(BaseModel):
    record: PostmortemRecord | None
    reminders: list[SentReminder] = Field(description="Reminders and the missed-deadline notice, as sent")


@workflow.defn
class PostmortemWorkflow:
    def __init__(self) -> None:
        self.start: PostmortemStart | None = None
        self.record: PostmortemRecord | None = None
        self.sent: list[SentReminder] = []
        self._publishing = False
        self._tasks: list = []

    @workflow.run
    async def run(self, start: PostmortemStart) -> PostmortemRecord:
        self.start = start
        state, policy = start.state, start.policy
        self.record = await workflow.execute_activity_method(
            LedgerActivities.draft_postmortem,
            DraftRequest(state=state, policy=policy, policy_dir=start.policy_dir, at=workflow.now()), **LEDGER,
        )
        self._notify("draft", [pm.owner(state)],
                     f"📝 Postmortem draft for {state.id} ({state.title}): {self.record.path}\n"
                     f"Edit: `incident postmortem edit {state.id}` · publish by "
                     f"{local_time(policy, self.record.deadline)}: `incident postmortem publish {state.id} --by <you>`")
        for reminder in pm.schedule(policy, state):
            if await self._published_before(reminder.at):
                break
            self.sent.append(SentReminder(key=reminder.key, at=workflow.now()))
            if reminder.kind == "reminder":
                self._notify(reminder.key, [pm.owner(state)], reminder.text)
                await workflow.execute_activity_method(
                    LedgerActivities.note_postmortem_reminder,
                    PostmortemUpdate(incident_id=state.id, at=workflow.now()), **LEDGER)
            else:
                tier = pm.missed_notice_tier(policy)
                lead = holder(policy.oncall, tier, workflow.now())
                self._notify(reminder.key, [h for h in (lead, pm.owner(state)) if h],
                             f"{reminder.text}. Telling {tier.value} on-call"
                             f"{f' @{lead}' if lead else ''} (postmortem non-compliance recorded).")
                self.record = await workflow.execute_activity_method(
                    LedgerActivities.mark_postmortem_missed,
                    PostmortemUpdate(incident_id=state.id, at=workflow.now()), **LEDGER)
        await workflow.wait_condition(lambda: self.record.status == "published")
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._tasks)
        return self.record

    async def _published_before(self, at: datetime) -> bool:
        timeout = at - workflow.now()
        if timeout > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._publishing, timeout=timeout)
        return self._publishing

    @workflow.update
    async def publish(self, request: Publish) -> PostmortemRecord:
        self._publishing = True
        state = self.start.state
        self.record = await workflow.execute_activity_method(
            LedgerActivities.publish_postmortem,
            PublishRequest(incident_id=state.id, by=request.by, at=workflow.now(), root_cause=request.root_cause,
                           recurrence_window_days=self.start.policy.incident.learning.recurrence_window
                           / timedelta(days=1)),
            **LEDGER,
        )
        on_time = "on time" if self.record.on_time(workflow.now()) else "after the deadline"
        self._notify("published", [], f"✅ Postmortem for {state.id} published by {request.by} ({on_time})")
        incident = workflow.get_external_workflow_handle(self.start.incident_workflow_id)
        try:
            await incident.signal("submit", PublishPostmortem(by=request.by))
        except ApplicationError as exc:  # the incident was closed some other way: nothing left to close
            workflow.logger.warning("could not close %s: %s", self.start.incident_workflow_id, exc)
        return self.record

    @publish.validator
    def _validate_publish(self, request: Publish) -> None:
        if self.record is None:
            raise ValueError("the draft is still being written; try again in a moment")
        if self._publishing or self.record.status == "published":
            raise ValueError(f"the postmortem was already published by {self.record.published_by or request.by}")

    @workflow.query
    def status(self) -> PostmortemStatus:
        return PostmortemStatus(record=self.record, reminders=list(self.sent))

    def _notify(self, key: str, to: list[str], text: str) -> None:
        state = self.start.state
        notification = Notification(
            key=f"{workflow.info().workflow_id}/{key}", incident_id=state.id, kind="postmortem",
            severity=state.severity, to=to, title=state.title, text=text, drill=state.drill,
        )
        self._tasks.append(workflow.start_activity_method(NotificationActivities.notify, notification, **DELIVERY))
