"""Slack through the official slack-sdk async client: one channel per incident (#inc-<incident id>), a header
message with buttons that is updated in place, and every page, escalation, decision and reminder as a
threaded reply.

Idempotency without a Slack idempotency key: every message we post carries Slack message metadata with
its key. A first attempt posts straight away; a retried attempt (the previous one may have posted before
failing or before its worker died) looks for the key in the channel/thread first."""

import hashlib
import logging
import re
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.channels.errors import rate_limited, rejected, unavailable
from adapters.channels.slack_blocks import approval_blocks, header_blocks, header_text, mrkdwn_escape
from adapters.channels.slack_groups import members_of, missing_text
from domain.comms.notifications import Notification, PageRequest
from domain.comms.view import IncidentView, RoomRequest
from domain.incident.status import RoomRef
from domain.policy.oncall_policy import Person

log = logging.getLogger(__name__)
HEADER_EVENT = "incidentflow_header"
MESSAGE_EVENT = "incidentflow_message"
BENIGN = {"already_in_channel", "cant_invite_self", "user_not_found", "already_in_channel_or_invited"}
# Slack's answers that the same call would get again: not retried, written into the timeline instead
REFUSED = {"msg_too_long", "invalid_blocks", "invalid_blocks_format", "invalid_arguments", "invalid_attachments",
           "too_many_attachments", "no_text", "invalid_name", "invalid_name_maxlength", "invalid_name_specials"}
ICONS = {"page": "📟", "escalation": "⏫", "decision": "✅", "comms_reminder": "⏰", "checklist_nag": "📋",
         "alert": "🔔", "phase": "🔁", "status_update": "📣", "runbook": "🛠", "postmortem": "📝"}


def channel_name(prefix: str, incident_id: str) -> str:
    """Slack channel names: lowercase letters, digits, '-' and '_', at most 80 characters."""
    return re.sub(r"[^a-z0-9_-]+", "-", f"{prefix}-{incident_id}".lower()).strip("-")[:80]


def message_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _retrying() -> bool:
    return activity.in_activity() and activity.info().attempt > 1


class SlackChannel:
    name = "slack"

    def __init__(self, client: AsyncWebClient, people: Callable[[], dict[str, Person]], prefix: str = "inc",
                 default_channel: str | None = None, has_pager: Callable[[Person | None], bool] = lambda _: False):
        self.client = client
        self.people = people
        self.prefix = prefix
        self.default_channel = default_channel
        self.has_pager = has_pager
        self._rooms: dict[str, RoomRef] = {}
        self._invited: dict[str, set[str]] = {}  # channel → Slack users invited by this worker

    # ── the incident room ────────────────────────────────────────────────────────────────────────
    async def open_room(self, request: RoomRequest) -> RoomRef:
        view = request.view
        name = channel_name(self.prefix, view.incident_id)
        created = await self._call("conversations_create", name=name, is_private=False, benign={"name_taken"})
        if created.get("ok"):
            channel, existed = created["channel"]["id"], False
        else:
            channel, existed = await self._find_channel(name), True
            if channel is None:
                raise unavailable("Slack", "conversations.create", f"#{name} is taken but not visible to the bot")
        users = [p.slack_id for h in request.invite if (p := self.people().get(h)) and p.slack_id]
        groups = await members_of(self._call, request.invite_groups)
        users += [u for u in groups.users if u not in users]
        if users:
            await self._call("conversations_invite", channel=channel, users=users, benign=BENIGN)
        ts = await self._find_header(channel, view.incident_id) if existed or _retrying() else None
        if ts is None:
            posted = await self._call(
                "chat_postMessage", channel=channel, text=header_text(view), blocks=header_blocks(view),
                metadata={"event_type": HEADER_EVENT, "event_payload": {"incident_id": view.incident_id}},
            )
            ts = posted["ts"]
        if groups.missing:
            await self._post_once(channel, ts, f"{view.incident_id}/groups-missing", missing_text(groups))
        room = RoomRef(channel=channel, ts=ts)
        self._rooms[view.incident_id] = room
        return room

    async def update(self, view: IncidentView) -> None:
        if view.room is None:
            return  # the room is still being opened; its header is posted with the then-current view
        await self._call("chat_update", channel=view.room.channel, ts=view.room.ts, text=header_text(view),
                         blocks=header_blocks(view))
        # Everyone paged is in the room, also when Slack was down at the moment of their (PagerDuty) page.
        await self._invite_people(view.room.channel, view.paged_people)

    async def _invite_people(self, channel: str, handles: list[str]) -> None:
        invited = self._invited.setdefault(channel, set())
        users = [p.slack_id for h in handles if (p := self.people().get(h)) and p.slack_id
                 and p.slack_id not in invited]
        if users:
            await self._call("conversations_invite", channel=channel, users=users, benign=BENIGN)
            invited.update(users)

    # ── messages and pages ───────────────────────────────────────────────────────────────────────
    async def send(self, notification: Notification) -> None:
        if notification.kind == "declared" and notification.incident_id:
            return  # the room's header message is the declaration
        if notification.incident_id is None:
            if self.default_channel:
                await self._post_once(self.default_channel, None, notification.key, self._text(notification))
            return
        room = notification.room or await self._room(notification.incident_id)
        if room is None:
            raise unavailable("Slack", "thread reply", f"the channel of incident {notification.incident_id} "
                                                       "is not open yet")
        if notification.kind == "stakeholder":
            await self._invite_people(room.channel, notification.to)  # the people told follow it in the room
        text = self._text(notification)
        blocks = approval_blocks(text, notification.incident_id, notification.approval) if notification.approval \
            else None
        await self._post_once(room.channel, room.ts, notification.key, text, blocks)

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        """Bring the paged person into the room; DM them when no pager (PagerDuty) covers them.

        For someone a pager covers, Slack's part is a courtesy: a Slack outage must not hold back the page
        (the workflow records it when this activity completes), so a failed invite is left to the header
        update, which invites everyone paged and is retried until Slack is back."""
        if person is None or not person.slack_id:
            return
        # a notification-rule step naming Slack without PagerDuty (request.via) is a DM, pager or not
        if self.has_pager(person) and (request.via is None or "pagerduty" in request.via):
            try:
                await self._invite_to_room(request.incident_id, person.slack_id)
            except ApplicationError as exc:
                log.warning("Slack invite of %s deferred to the next header update: %s", target, exc)
            return
        room = await self._invite_to_room(request.incident_id, person.slack_id)
        opened = await self._call("conversations_open", users=[person.slack_id])
        where = f" in <#{room.channel}>" if room else ""
        text = (f"📟 You are paged ({request.tier.value}) for [{request.severity.value.upper()}] {request.service}: "
                f"{request.title} — {request.reason}. Please acknowledge{where}.")
        await self._post_once(opened["channel"]["id"], None, request.key, text)

    # ── helpers ──────────────────────────────────────────────────────────────────────────────────
    async def _invite_to_room(self, incident_id: str, slack_id: str) -> RoomRef | None:
        room = await self._room(incident_id)
        if room is not None:
            await self._call("conversations_invite", channel=room.channel, users=[slack_id], benign=BENIGN)
            self._invited.setdefault(room.channel, set()).add(slack_id)
        return room

    def _text(self, notification: Notification) -> str:
        mentions = []
        for handle in notification.to:
            person = self.people().get(handle)
            mentions.append(f"<@{person.slack_id}>" if person and person.slack_id else f"@{handle}")
        icon = ICONS.get(notification.kind, "")
        if icon and notification.text.startswith(icon):
            icon = ""
        return " ".join(p for p in (icon, " ".join(mentions), mrkdwn_escape(notification.text)) if p)

    async def _post_once(self, channel: str, thread_ts: str | None, key: str, text: str,
                         blocks: list[dict] | None = None) -> None:
        digest = message_key(key)
        if _retrying() and await self._already_posted(channel, thread_ts, digest):
            return
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        if blocks:
            extra["blocks"] = blocks
        await self._call("chat_postMessage", channel=channel, text=text, **extra,
                         metadata={"event_type": MESSAGE_EVENT, "event_payload": {"key": digest}})

    async def _already_posted(self, channel: str, thread_ts: str | None, digest: str) -> bool:
        if thread_ts:
            found = await self._call("conversations_replies", channel=channel, ts=thread_ts, limit=200,
                                     include_all_metadata=True)
        else:
            found = await self._call("conversations_history", channel=channel, limit=50, include_all_metadata=True)
        return any(_metadata(m, MESSAGE_EVENT).get("key") == digest for m in found.get("messages", []))

    async def _room(self, incident_id: str) -> RoomRef | None:
        """The room from memory, else found on Slack (after a worker restart)."""
        if incident_id in self._rooms:
            return self._rooms[incident_id]
        channel = await self._find_channel(channel_name(self.prefix, incident_id))
        ts = await self._find_header(channel, incident_id) if channel else None
        if channel is None or ts is None:
            return None
        self._rooms[incident_id] = RoomRef(channel=channel, ts=ts)
        return self._rooms[incident_id]

    async def _find_channel(self, name: str) -> str | None:
        cursor = None
        while True:
            page = await self._call("conversations_list", types="public_channel", exclude_archived=True, limit=200,
                                    cursor=cursor)
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return channel["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def _find_header(self, channel: str, incident_id: str) -> str | None:
        history = await self._call("conversations_history", channel=channel, limit=100, include_all_metadata=True)
        for message in history.get("messages", []):
            if _metadata(message, HEADER_EVENT).get("incident_id") == incident_id:
                return message["ts"]
        return None

    async def _call(self, method: str, benign: set[str] = frozenset(), **kwargs) -> dict:
        what = method.replace("_", ".", 1)
        try:
            response = await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                raise rate_limited("Slack", what, exc.response.headers.get("retry-after")) from None
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if error in benign:
                return dict(exc.response.data)
            if error in REFUSED:
                raise rejected("Slack", what, error) from None
            raise unavailable("Slack", what, f"HTTP {status} {error or ''}".strip()) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable("Slack", what, f"{type(exc).__name__}: {exc}") from None
        return dict(response.data)


def _metadata(message: dict, event_type: str) -> dict:
    metadata = message.get("metadata") or {}
    return metadata.get("event_payload") or {} if metadata.get("event_type") == event_type else {}
