"""Paging and notifications: resolve who holds a tier at page time, then deliver through the channels.
In a drill every channel is replaced by the drill transcript: a drill never reaches a real person."""

import asyncio
import logging
from collections.abc import Callable

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import heartbeating
from adapters.channels import Channel
from adapters.channels.errors import is_rejection
from domain.comms.notifications import DeliveryReport, Notification, PageOutcome, PageRequest
from domain.comms.view import IncidentView, RoomRequest
from domain.incident.status import RoomRef
from domain.oncall.rotation import Override, holder
from domain.policy.notification_rules import lacks_contact
from domain.policy.oncall_policy import Person
from observability import metrics

log = logging.getLogger(__name__)

VIEW_NOT_EVERYWHERE = "ViewNotEverywhere"  # some channel refused a view; the workflow retries (publish_view)
OBSERVERS = ("console", "record")  # the worker log and the recorder see every page, whatever a rule names


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
    @heartbeating  # every DELIVERY activity must heartbeat: workflows/options.py
    async def page_responder(self, request: PageRequest) -> PageOutcome:
        # The overrides are read from the ledger at every page, off the event loop.
        target = request.person or holder(request.oncall, request.tier, request.at,
                                          await asyncio.to_thread(self.overrides))
        if target is None:
            return PageOutcome(target=None, at=request.at)
        person = request.oncall.people.get(target)
        via = request.via
        if via is None and request.rule_step is not None:
            chain = request.oncall.notification_chain(target)
            via = chain[request.rule_step].channels if request.rule_step < len(chain) else None
        if via is not None and not request.drill:
            return await self._page_via(request.model_copy(update={"via": via}), target, person)
        channels = self._channels_for(request.drill)

        async def page(channel: Channel) -> None:
            await channel.page(request, target, person)
            metrics.page_sent(request.key, request.tier.value, channel.name)

        refused = await _each(channels, page)
        delivered = [c.name for c in channels if not any(r.startswith(f"{c.name}: ") for r in refused)]
        return PageOutcome(target=target, at=request.at, channels=delivered, refused=refused)

    async def _page_via(self, request: PageRequest, target: str, person: Person | None) -> PageOutcome:
        """A step of the person's notification rules: only the channels it names. One that is not configured, or
        cannot reach the person, is reported with the refusals, so the workflow falls over to the next step."""
        configured = {channel.name: channel for channel in self.channels}
        chosen, refused = [], []
        for name in request.via:
            channel = configured.get(name)
            why = "not configured" if channel is None else _cannot_reach(channel, person)
            if why:
                refused.append(f"{name}: {why}")
            else:
                chosen.append(channel)

        async def page(channel: Channel) -> None:
            await channel.page(request, target, person)
            metrics.page_sent(request.key, request.tier.value, channel.name)

        refused += await _each([*chosen, *(c for c in self.channels if c.name in OBSERVERS)], page)
        delivered = [c.name for c in chosen if not any(r.startswith(f"{c.name}: ") for r in refused)]
        order = {name: index for index, name in enumerate(request.via)}
        refused.sort(key=lambda reason: order.get(reason.split(":", 1)[0], len(order)))
        return PageOutcome(target=target, at=request.at, channels=delivered, refused=refused)

    @activity.defn
    @heartbeating
    async def notify(self, notification: Notification) -> DeliveryReport:
        refused = await _each(self._channels_for(notification.drill), lambda channel: channel.send(notification))
        return DeliveryReport(refused=refused)

    @activity.defn
    @heartbeating
    async def open_room(self, request: RoomRequest) -> RoomRef | None:
        """Open the incident's chat room (Slack channel + header) on the first channel that has rooms."""
        if request.view.drill:
            return None
        for channel in self.channels:
            if hasattr(channel, "open_room"):
                return await channel.open_room(request)
        return None

    @activity.defn
    @heartbeating
    async def publish(self, view: IncidentView) -> None:
        """Incidents started before `publish_view`: retried by Temporal until every channel took the view."""
        if view.drill:
            return
        await _each(self._viewers(), lambda channel: channel.update(view))

    @activity.defn
    @heartbeating
    async def publish_view(self, view: IncidentView) -> DeliveryReport:
        """A changed incident view: header message, status pages, pager acknowledge/resolve. When a channel is
        down, the others keep it and the activity fails without a retry: the workflow tries again with whatever
        view is newest by then, so an outage of one channel never holds the others on an old view. A channel
        that refuses the view for good (a 4xx) is reported, not retried."""
        if view.drill:
            return DeliveryReport()
        try:
            return DeliveryReport(refused=await _each(self._viewers(), lambda channel: channel.update(view)))
        except ApplicationError as exc:
            raise ApplicationError(str(exc), type=VIEW_NOT_EVERYWHERE, non_retryable=True,
                                   next_retry_delay=exc.next_retry_delay) from None
        except Exception as exc:
            raise ApplicationError(f"{type(exc).__name__}: {exc}", type=VIEW_NOT_EVERYWHERE,
                                   non_retryable=True) from None

    def _viewers(self) -> list[Channel]:
        return [c for c in self.channels if hasattr(c, "update")]


def _cannot_reach(channel: Channel, person: Person | None) -> str | None:
    """Why a channel would page `person` with nothing (no phone for SMS, no routing key for PagerDuty …)."""
    why = lacks_contact(channel.name, person)
    if why is None and channel.name == "pagerduty" and not channel.has_pager(person):
        why = "no PagerDuty routing key for them"
    return why


async def _each(channels: list[Channel], deliver) -> list[str]:
    """Deliver through every channel even when one fails (a Slack outage must not hold back PagerDuty);
    then fail so the activity is retried. Channels are idempotent, so the retry repeats nothing. When every
    failure is a refusal for good (a 4xx), there is nothing to retry: the refusals are returned."""
    failures: list[BaseException] = []
    refused: list[str] = []
    for channel in channels:
        try:
            await deliver(channel)
        except Exception as exc:
            log.warning("channel %s failed: %s", channel.name, exc)
            metrics.notification_failed(channel.name, activity.info().activity_type)
            if is_rejection(exc):
                refused.append(f"{channel.name}: {exc.message}")
            else:
                failures.append(exc)
    if failures:
        delays = [f.next_retry_delay for f in failures if isinstance(f, ApplicationError) and f.next_retry_delay]
        if len(failures) > 1 or delays:  # the longest Retry-After of them all, so none is asked again too soon
            raise ApplicationError("; ".join(f"{type(f).__name__}: {f}" for f in failures),
                                   type="ChannelsFailed", next_retry_delay=max(delays, default=None))
        raise failures[0]
    return refused
