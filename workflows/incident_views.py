"""The incident room and the published view: the Slack header, the status page, the pager's ack/resolve
(domain/comms/view.py, docs/communications.md)."""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from domain.comms import view as comms
    from workflows import incident_versions as versions
    from workflows.incident_context import IncidentContext
    from workflows.incident_effects import Effects
    from workflows.options import DELIVERY, VIEW_RETRY_FIRST, VIEW_RETRY_MAX, retry_delay


class ViewPublisher:
    """`publish` after every change; one activity at a time sends the latest view (drills have none)."""

    def __init__(self, incident: IncidentContext, effects: Effects) -> None:
        self.incident, self.effects = incident, effects
        self.latest: comms.IncidentView | None = None
        self.sent: comms.IncidentView | None = None
        self.task: asyncio.Task | None = None  # the one waiting publisher
        self._one_waiting_task: bool | None = None  # VIEWS_FROM_ONE_WAITING_TASK, asked at the first view
        self._one_after_another: versions.ViewsOneAfterAnother | None = None
        self._closing = False

    @property
    def is_current(self) -> bool:
        return self.latest == self.sent

    def resume(self) -> None:
        """A continued run: the previous run published this view (runs continue only when nothing is in flight)."""
        if not self.incident.state.drill:
            self.latest = self.sent = comms.build_view(self.incident.policy, self.incident.state, workflow.now())

    def close(self) -> None:
        """The publisher ends once the last view is out."""
        self._closing = True

    async def open_room(self) -> None:
        policy, state = self.incident.policy, self.incident.state
        request = comms.RoomRequest(view=comms.build_view(policy, state, workflow.now()),
                                    invite=comms.responders(policy, state, workflow.now()),
                                    invite_groups=policy.incident.communication.declaration_invite)
        state.room = await workflow.execute_activity_method(NotificationActivities.open_room, request, **DELIVERY)
        self.incident.changed = True

    def publish(self) -> None:
        state = self.incident.state
        if state.drill:
            return
        view = comms.build_view(self.incident.policy, state, workflow.now())
        if view == self.latest:
            return
        self.latest = view
        if self._one_waiting_task is None:
            self._one_waiting_task = versions.views_from_one_waiting_task()
            if self._one_waiting_task:
                self.task = self.effects.start(self._publish_views())
            else:
                self._one_after_another = versions.ViewsOneAfterAnother(self)
        if self._one_after_another is not None:
            self._one_after_another.publish(self.effects.start)

    async def _publish_views(self) -> None:
        """One publish at a time, always the latest view, so an older header never overwrites a newer one.

        Each publish starts from a wait condition, never straight from the previous one's completion: a cold
        worker may fold a completion that issued no command into the next task (temporalio/sdk-python#1591)."""
        backoff = VIEW_RETRY_FIRST
        while True:
            await workflow.wait_condition(lambda: self.latest != self.sent or self._closing)
            if self.latest == self.sent:
                return
            latest = self.latest
            try:
                report = await workflow.execute_activity_method(NotificationActivities.publish_view, latest,
                                                                **DELIVERY)
            except ActivityError as exc:
                # A channel refused it (the others have it): again after its Retry-After or a backoff, or at
                # once with a newer view. Never a timer cancelled: see Effects.wake_at.
                retry = self.effects.flag_after(retry_delay(exc) or backoff)
                backoff = min(backoff * 2, VIEW_RETRY_MAX)
                await workflow.wait_condition(lambda seen=latest, due=retry: self.latest != seen or due.is_set())
                continue
            self.sent, backoff = latest, VIEW_RETRY_FIRST
            self.effects.note_refused("incident view", report.refused if report else [], once=True)
