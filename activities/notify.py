"""Paging and notifications: resolve who holds a tier at page time, then deliver through the channels.
In a drill every channel is replaced by the drill transcript: a drill never reaches a real person."""

import logging
from collections.abc import Callable

from temporalio import activity

from activities.channels import Channel
from domain.notifications import Notification, PageOutcome, PageRequest
from domain.rotation import Override, holder

log = logging.getLogger(__name__)


class DrillTranscript:
    """What drills get instead of real channels: the workflow's own timeline is the transcript."""

    name = "drill-transcript"

    async def page(self, request, target, person) -> None:
        log.info("drill page %s %s → %s", request.incident_id, request.tier.value, target)

    async def send(self, notification) -> None:
        log.info("drill message %s %s", notification.incident_id, notification.kind)


class NotificationActivities:
    def __init__(self, channels: list[Channel], overrides: Callable[[], list[Override]] = list):
        self.channels = channels
        self.overrides = overrides
        self.drill_transcript = DrillTranscript()

    def _channels_for(self, drill: bool) -> list[Channel]:
        return [self.drill_transcript] if drill else self.channels

    @activity.defn
    async def page_responder(self, request: PageRequest) -> PageOutcome:
        target = holder(request.oncall, request.tier, request.at, self.overrides())
        if target is None:
            return PageOutcome(target=None, at=request.at)
        person = request.oncall.people.get(target)
        channels = self._channels_for(request.drill)
        for channel in channels:
            await channel.page(request, target, person)
        return PageOutcome(target=target, at=request.at, channels=[c.name for c in channels])

    @activity.defn
    async def notify(self, notification: Notification) -> None:
        for channel in self._channels_for(notification.drill):
            await channel.send(notification)
