"""A fake PagerDuty Events API v2 (`POST /v2/enqueue`) on loopback. Like PagerDuty it folds events with the
same dedup_key into one alert; it records every request and can answer the next ones with 429/500, or hold the
next one unanswered (a caller that dies waiting)."""

import asyncio
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from testkit.fakes.server import FakeApi


@dataclass
class Event:
    body: dict
    at: float
    status: int  # what the caller was answered
    processed: bool = True  # whether PagerDuty acted on it (an after-effect fault processes, then answers 500)


class FakePagerDuty(FakeApi):
    def __init__(self, routing_keys: set[str]):
        self.routing_keys = routing_keys
        self.events: list[Event] = []
        self.faults: list[tuple[int, int | None, bool]] = []  # (status, retry_after, after_effect)
        self.outage: tuple[int, int | None] | None = None  # while set: every event answered (status, retry_after)
        self.holding = 0  # the next this many events get no answer until `release()`
        self.held: list[Event] = []
        self.released = threading.Event()
        self.app = FastAPI()
        self.app.add_api_route("/v2/enqueue", self._enqueue, methods=["POST"])
        self.serve()

    @property
    def events_url(self) -> str:
        return f"{self.served.url}/v2/enqueue"

    def fail_next(self, status: int, retry_after: int | None = None, after_effect: bool = False) -> None:
        self.faults.append((status, retry_after, after_effect))

    def hold_next(self, count: int = 1) -> None:
        self.holding += count

    def release(self) -> None:
        self.released.set()

    def accepted(self, action: str | None = None) -> list[dict]:
        return [e.body for e in self.events if e.processed and (action is None or e.body["event_action"] == action)]

    def alerts(self) -> dict[str, list[str]]:
        """dedup_key → the accepted actions, in order: what PagerDuty's alert list would show."""
        folded: dict[str, list[str]] = {}
        for body in self.accepted():
            folded.setdefault(body["dedup_key"], []).append(body["event_action"])
        return folded

    async def _enqueue(self, request: Request):
        body = await request.json()
        event = Event(body=body, at=time.monotonic(), status=202)
        self.events.append(event)
        if body.get("routing_key") not in self.routing_keys:
            event.status, event.processed = 400, False
            return JSONResponse({"status": "invalid event", "errors": ["bad routing_key"]}, status_code=400)
        if body.get("event_action") not in ("trigger", "acknowledge", "resolve") or not body.get("dedup_key"):
            event.status, event.processed = 400, False
            return JSONResponse({"status": "invalid event"}, status_code=400)
        if self.holding:
            self.holding -= 1
            event.status, event.processed = 0, False  # never answered: its caller is gone when this returns
            self.held.append(event)
            await asyncio.to_thread(self.released.wait, 60)
            return JSONResponse({"status": "error"}, status_code=500)
        if self.faults or self.outage:
            status, retry_after, after_effect = self.faults.pop(0) if self.faults else (*self.outage, False)
            # after_effect: processed, but the answer is lost; the retry arrives with the same dedup_key
            event.status, event.processed = status, after_effect
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return JSONResponse({"status": "error"}, status_code=status, headers=headers)
        return JSONResponse({"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]},
                            status_code=202)
