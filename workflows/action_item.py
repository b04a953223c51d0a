"""ActionItemWorkflow: one per action item, so each item's reminders are durable on their own and a
finished item ends its workflow. It sleeps until 09:00 (team time zone) on the due date, reminds the
owner, then nags weekly (policy `learning.action_items.nag_every`) until the item is done. The ledger is
the truth: before each reminder the workflow reads the item, so an item closed while a signal was lost
still stops the nagging."""

import asyncio
import contextlib
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.learning import ActionReminder, LedgerActivities
    from activities.notify import NotificationActivities
    from domain.comms.notifications import Notification
    from domain.incident.records import ActionItem
    from workflows.options import DELIVERY, LEDGER

WORKFLOW_ID_PREFIX = "action-"


def action_workflow_id(item: ActionItem) -> str:
    return f"{WORKFLOW_ID_PREFIX}{item.incident_id}-{item.id}"


class ActionItemStart(BaseModel):
    item: ActionItem
    remind_at: datetime = Field(description="The due-date reminder: 09:00 team time on the due date")
    nag_every: timedelta
    next_at: datetime | None = Field(default=None, description="Set when continuing as new after many nags")
    reminders_sent: int = 0


class ActionItemStatus(BaseModel):
    item: ActionItem
    done: bool
    reminders_sent: int
    next_reminder_at: datetime | None


@workflow.defn
class ActionItemWorkflow:
    def __init__(self) -> None:
        self.start: ActionItemStart | None = None
        self._done = False
        self._next: datetime | None = None
        self._sent = 0
        self._tasks: list = []

    @workflow.run
    async def run(self, start: ActionItemStart) -> ActionItemStatus:
        self.start, self._sent, self._next = start, start.reminders_sent, start.next_at or start.remind_at
        item = start.item
        while not self._done:
            await self._sleep_until(self._next)
            if self._done:
                break
            current = await workflow.execute_activity_method(LedgerActivities.action_item, item.id, **LEDGER)
            if current is None or current.status == "done":
                break
            self._sent += 1
            late = (workflow.now() - start.remind_at).days
            when = "is due today" if late < 1 else f"is {late} day(s) overdue"
            self._remind(current, f"⏰ Action item #{current.id} ({current.term}-term) {when}: {current.title}\n"
                                  f"Close it with `incident action done {current.id} --by {current.owner}`")
            await workflow.execute_activity_method(
                LedgerActivities.note_action_reminder, ActionReminder(action_id=item.id, at=workflow.now()),
                **LEDGER)
            self._next = self._next + start.nag_every
            if workflow.info().is_continue_as_new_suggested():
                await asyncio.gather(*self._tasks)
                workflow.continue_as_new(start.model_copy(update={"next_at": self._next,
                                                                  "reminders_sent": self._sent}))
        await asyncio.gather(*self._tasks)
        return self.status()

    async def _sleep_until(self, at: datetime) -> None:
        timeout = at - workflow.now()
        if timeout > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._done, timeout=timeout)

    @workflow.signal
    def done(self, by: str) -> None:
        self._done = True

    @workflow.query
    def status(self) -> ActionItemStatus:
        return ActionItemStatus(item=self.start.item, done=self._done, reminders_sent=self._sent,
                                next_reminder_at=None if self._done else self._next)

    def _remind(self, item: ActionItem, text: str) -> None:
        notification = Notification(
            key=f"{workflow.info().workflow_id}/remind/{self._sent}", incident_id=item.incident_id,
            kind="postmortem", to=[item.owner], title=item.title, text=text,
        )
        self._tasks.append(workflow.start_activity_method(NotificationActivities.notify, notification, **DELIVERY))
