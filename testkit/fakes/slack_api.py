"""A fake Slack Web API on loopback for the real slack-sdk client (`AsyncWebClient(base_url=fake.api_url)`).

Implements the methods incidentflow uses with Slack's semantics (channels, members, messages with
metadata, threads, DMs, modals, users' profiles), records every call, takes the ephemeral replies sent to an
interaction's `response_url`, and can be told to answer the next calls of a method with
429 + Retry-After, 500, or to hold the answer (a worker dying mid-call), or to be down altogether (`outage`)."""

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from testkit.fakes.server import FakeApi

TOKEN = "xoxb-test-token"


@dataclass
class Fault:
    status: int = 500
    retry_after: int | None = None
    after_effect: bool = False  # carry the call out, then answer with the error (the answer got lost)
    hold_seconds: float = 0.0  # carry the call out, then keep the caller waiting
    when: Callable[[dict], bool] | None = None  # only calls whose arguments match


def is_header(args: dict) -> bool:
    return (args.get("metadata") or {}).get("event_type") == "incidentflow_header"


def is_thread_reply(args: dict) -> bool:
    return bool(args.get("thread_ts"))


@dataclass
class Call:
    method: str
    args: dict
    at: float
    status: int = 200


@dataclass
class Channel:
    id: str
    name: str
    members: set[str] = field(default_factory=set)
    messages: list[dict] = field(default_factory=list)


class FakeSlack(FakeApi):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.views: list[dict] = []  # modals opened (views.open), with the trigger_id they answered
        self.outage: Fault | None = None  # while set, every call is answered with this fault (Slack is down)
        self.users: dict[str, dict] = {}  # Slack user id → profile (users.info), e.g. {"email": "…"}
        # user group handle → member ids (usergroups.list): the groups the shipped policy invites at declaration
        self.usergroups: dict[str, list[str]] = {
            "game-sre-oncall": ["U01MINSU", "U02JIYOUNG", "U03HYUNWOO", "U04SEOYEON"],
            "game-ops-lead": ["U07OPSLEAD"], "game-dev-lead": ["U08DEVLEAD"]}
        self.refusals: dict[str, str] = {}  # method → the Slack error it answers (HTTP 200, ok: false)
        self.responses: list[dict] = []  # what was posted to a response_url, with its "key"
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.add_api_route("/api/{method}", self._endpoint, methods=["GET", "POST"])
        self.app.add_api_route("/respond/{key}", self._respond, methods=["POST"])
        self.serve()

    # ── test controls ────────────────────────────────────────────────────────────────────────────
    @property
    def api_url(self) -> str:
        return f"{self.served.url}/api/"

    def response_url(self, key: str) -> str:
        """Where an interaction's ephemeral reply goes (Slack's `response_url`); read back in `responses`."""
        return f"{self.served.url}/respond/{key}"

    def fail_next(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, []).extend(faults)

    def calls_of(self, method: str, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def channel_named(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def headers(self, channel: Channel) -> list[dict]:
        return [m for m in channel.messages if (m.get("metadata") or {}).get("event_type") == "incidentflow_header"]

    def replies(self, channel: Channel, ts: str) -> list[dict]:
        return [m for m in channel.messages if m.get("thread_ts") == ts and m["ts"] != ts]

    def transcript(self) -> str:
        """What a person scrolling Slack would see: each channel, its header (as updated), thread replies, DMs."""
        lines = []
        for channel in self.channels.values():
            lines.append(f"#{channel.name}" + (f"  (members: {', '.join(sorted(channel.members))})"
                                                if channel.members else ""))
            for message in channel.messages:
                if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
                    continue
                edits = message.get("edits", 0)
                lines.append(f"  [{message['ts']}] {message['text']}" + (f"   (edited {edits}×)" if edits else ""))
                for reply in self.replies(channel, message["ts"]):
                    lines.append(f"      ↳ {reply['text']}")
        return "\n".join(lines)

    # ── the API ──────────────────────────────────────────────────────────────────────────────────
    async def _endpoint(self, method: str, request: Request):
        args = dict(request.query_params)
        body = await request.body()
        if body:
            if request.headers.get("content-type", "").startswith("application/json"):
                args.update(json.loads(body))
            else:
                args.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        for key in ("blocks", "metadata", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        call = Call(method=method, args=args, at=time.monotonic())
        self.calls.append(call)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return {"ok": False, "error": "invalid_auth"}
        if method in self.refusals:
            return {"ok": False, "error": self.refusals[method]}
        fault = next((f for f in self.faults.get(method, []) if f.when is None or f.when(args)), None)
        if fault:
            self.faults[method].remove(fault)
        elif self.outage is not None:
            fault = self.outage
        if fault and not (fault.after_effect or fault.hold_seconds):
            call.status = fault.status
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return JSONResponse({"ok": False, "error": error}, status_code=fault.status, headers=headers)
        with self._lock:
            result = getattr(self, "_" + method.replace(".", "_"))(args)
        if fault and fault.hold_seconds:
            await asyncio.sleep(fault.hold_seconds)
        if fault and fault.after_effect:
            call.status = fault.status
            return JSONResponse({"ok": False, "error": "internal_error"}, status_code=fault.status)
        return result

    async def _respond(self, key: str, request: Request) -> dict:
        self.responses.append({"key": key, **json.loads(await request.body())})
        return {"ok": True}

    def _new_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _channel(self, args: dict) -> Channel | None:
        return self.channels.get(args.get("channel", ""))

    @staticmethod
    def _users(value) -> list[str]:
        return value if isinstance(value, list) else [u for u in str(value).split(",") if u]

    def _conversations_create(self, args: dict) -> dict:
        if self.channel_named(args["name"]):
            return {"ok": False, "error": "name_taken"}
        channel = Channel(id=f"C{next(self._ids):08d}", name=args["name"])
        self.channels[channel.id] = channel
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name}}

    def _conversations_invite(self, args: dict) -> dict:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        users = self._users(args["users"])
        if all(u in channel.members for u in users):
            return {"ok": False, "error": "already_in_channel"}
        channel.members.update(users)
        return {"ok": True, "channel": {"id": channel.id}}

    def _conversations_list(self, args: dict) -> dict:
        channels = [{"id": c.id, "name": c.name} for c in self.channels.values() if not c.id.startswith("D")]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, args: dict) -> dict:
        user = self._users(args["users"])[0]
        channel = self.channels.setdefault(f"D{user}", Channel(id=f"D{user}", name=f"dm-{user}", members={user}))
        return {"ok": True, "channel": {"id": channel.id}}

    def _conversations_history(self, args: dict) -> dict:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        top = [m for m in channel.messages if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]
        return {"ok": True, "messages": list(reversed(top))[: int(args.get("limit", 100))]}

    def _conversations_replies(self, args: dict) -> dict:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        thread = [m for m in channel.messages if m["ts"] == args["ts"] or m.get("thread_ts") == args["ts"]]
        return {"ok": True, "messages": thread}

    def _chat_postMessage(self, args: dict) -> dict:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message = {"ts": self._new_ts(), "text": args.get("text", ""), "blocks": args.get("blocks"),
                   "metadata": args.get("metadata"), "thread_ts": args.get("thread_ts")}
        channel.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def _chat_update(self, args: dict) -> dict:
        channel = self._channel(args)
        message = next((m for m in channel.messages if m["ts"] == args["ts"]), None) if channel else None
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.update(text=args.get("text", message["text"]), blocks=args.get("blocks", message["blocks"]))
        message["edits"] = message.get("edits", 0) + 1
        return {"ok": True, "channel": channel.id, "ts": message["ts"]}

    def _views_open(self, args: dict) -> dict:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = {**args["view"], "id": f"V{next(self._ids):08d}", "trigger_id": args["trigger_id"]}
        self.views.append(view)
        return {"ok": True, "view": view}

    def _auth_test(self, args: dict) -> dict:
        return {"ok": True, "url": "https://game.slack.example/", "team": "Game", "user": "incidentflow",
                "team_id": "T0GAME", "user_id": "U0BOT", "bot_id": "B0BOT"}

    def _usergroups_list(self, args: dict) -> dict:
        with_users = str(args.get("include_users", "")).lower() in ("1", "true")
        groups = [{"id": f"S{index:04d}", "handle": handle, "name": handle,
                   **({"users": list(members), "user_count": len(members)} if with_users else {})}
                  for index, (handle, members) in enumerate(self.usergroups.items(), 1)]
        return {"ok": True, "usergroups": groups}

    def _users_info(self, args: dict) -> dict:
        profile = self.users.get(args.get("user", ""))
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": args["user"], "profile": dict(profile)}}
