"""A fake Atlassian Statuspage manage API (`https://api.statuspage.io/v1/`) on loopback: the incident endpoints
as the API reference describes them (`Authorization: OAuth <key>`):

- `POST /v1/pages/{page_id}/incidents` — `{"incident": {name, status, body, metadata, ...}}`; `body` is the
  first incident update; `metadata` is a JSON object whose top-level values must be objects;
- `PATCH /v1/pages/{page_id}/incidents/{incident_id}` — the same fields; a `body` adds an incident update;
- `GET /v1/pages/{page_id}/incidents/{incident_id}` — one incident;
- `GET /v1/pages/{page_id}/incidents/unresolved?page=&per_page=` — a JSON array of the incidents in
  investigating / identified / monitoring (per_page defaults to 100).

Every request is recorded. `outage` answers everything with (status, Retry-After); `fail_next` answers the next
request of a method with a fault, optionally after processing it (`after_effect`: the answer is lost)."""

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from testkit.fakes.server import FakeApi

REALTIME = ("investigating", "identified", "monitoring", "resolved")
UNRESOLVED = ("investigating", "identified", "monitoring")


@dataclass
class Call:
    method: str
    path: str
    body: dict | None
    at: float
    status: int  # what the caller was answered
    processed: bool = True  # whether Statuspage acted on it (an after-effect fault acts, then loses the answer)
    fault: "Fault | None" = None


@dataclass
class Fault:
    method: str
    status: int
    retry_after: int | None = None
    after_effect: bool = False
    answer: str | None = None  # the body sent instead of JSON (e.g. a proxy's page, a truncated answer)


class FakeStatuspage(FakeApi):
    def __init__(self, page_id: str, api_key: str):
        self.page_id = page_id
        self.api_key = api_key
        self.calls: list[Call] = []
        self.incidents: dict[str, dict] = {}
        self.faults: list[Fault] = []
        self.outage: tuple[int, int | None] | None = None
        self.app = FastAPI()
        base = "/v1/pages/{page}/incidents"
        self.app.add_api_route(base, self._create, methods=["POST"])
        self.app.add_api_route(base + "/unresolved", self._unresolved, methods=["GET"])
        self.app.add_api_route(base + "/{incident}", self._get, methods=["GET"])
        self.app.add_api_route(base + "/{incident}", self._patch, methods=["PATCH"])
        self.serve()

    @property
    def api_url(self) -> str:
        return f"{self.served.url}/v1/"

    def fail_next(self, method: str, status: int, retry_after: int | None = None, after_effect: bool = False,
                  answer: str | None = None) -> None:
        self.faults.append(Fault(method, status, retry_after, after_effect, answer))

    def processed(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.processed and (method is None or c.method == method)]

    def updates(self, incident: dict) -> list[tuple[str, str]]:
        """(status, body) of the incident's updates, oldest first: what its subscribers were told."""
        return [(u["status"], u["body"]) for u in reversed(incident["incident_updates"])]

    # ── the API ──────────────────────────────────────────────────────────────────────────────────
    async def _create(self, page: str, request: Request):
        fields = await self._fields(request)
        refused = self._refuse(request, page, fields, creating=True)
        if refused:
            return refused
        now = _now()
        incident = {
            "id": secrets.token_hex(6), "page_id": page, "name": fields["name"], "status": "investigating",
            "impact": "none", "metadata": {}, "incident_updates": [], "created_at": now, "updated_at": now,
            "resolved_at": None, "monitoring_at": None, "shortlink": "https://stspg.io/x",
        }
        self.incidents[incident["id"]] = incident
        self._apply(incident, fields)
        return self._answer(incident, 201)

    async def _patch(self, page: str, incident: str, request: Request):
        fields = await self._fields(request)
        refused = self._refuse(request, page, fields, creating=False)
        if refused:
            return refused
        if incident not in self.incidents:
            self.calls[-1].status, self.calls[-1].processed = 404, False
            return JSONResponse({"error": "Incident not found"}, status_code=404)
        self._apply(self.incidents[incident], fields)
        return self._answer(self.incidents[incident])

    async def _get(self, page: str, incident: str, request: Request):
        refused = self._refuse(request, page, None, creating=False)
        if refused:
            return refused
        if incident not in self.incidents:
            self.calls[-1].status = 404
            return JSONResponse({"error": "Incident not found"}, status_code=404)
        return self._answer(self.incidents[incident])

    async def _unresolved(self, page: str, request: Request, per_page: int = 100):
        refused = self._refuse(request, page, None, creating=False)
        if refused:
            return refused
        number = int(request.query_params.get("page", 1))
        open_ = [i for i in self.incidents.values() if i["page_id"] == page and i["status"] in UNRESOLVED]
        open_.sort(key=lambda i: i["created_at"], reverse=True)
        return self._answer(open_[(number - 1) * per_page:number * per_page])

    # ── helpers ──────────────────────────────────────────────────────────────────────────────────
    async def _fields(self, request: Request) -> dict:
        body = await request.json()
        return body.get("incident", {}) if isinstance(body, dict) else {}

    def _refuse(self, request: Request, page: str, fields: dict | None, creating: bool) -> Response | None:
        """Record the call; answer it with an error (auth, validation, outage, fault) or None to process it."""
        call = Call(request.method, request.url.path, fields, time.monotonic(), 200)
        self.calls.append(call)
        if request.headers.get("authorization") != f"OAuth {self.api_key}" or page != self.page_id:
            call.status, call.processed = 401, False
            return JSONResponse({"error": "Could not authenticate"}, status_code=401)
        if fields is not None and (error := _invalid(fields, creating)):
            call.status, call.processed = 422, False
            return JSONResponse({"error": error}, status_code=422)
        fault = next((f for f in self.faults if f.method == request.method), None)
        if fault is None and self.outage is None:
            return None
        if fault is not None:
            self.faults.remove(fault)
        else:
            fault = Fault(request.method, *self.outage)
        call.status, call.processed, call.fault = fault.status, fault.after_effect, fault
        return None if fault.after_effect else _error(fault)  # after effect: processed, _answer loses the answer

    def _answer(self, payload, status: int = 200) -> Response:
        call = self.calls[-1]  # this request's: handlers do not await between _refuse and here
        if call.fault is not None:
            return _error(call.fault)
        call.status = status
        return JSONResponse(payload, status_code=status)

    def _apply(self, incident: dict, fields: dict) -> None:
        now = _now()
        for key in ("name", "status"):
            if key in fields:
                incident[key] = fields[key]
        if "metadata" in fields:
            incident["metadata"] = {**incident["metadata"], **fields["metadata"]}
        if fields.get("body"):
            incident["incident_updates"].insert(0, {
                "id": secrets.token_hex(6), "incident_id": incident["id"], "status": incident["status"],
                "body": fields["body"], "created_at": now, "display_at": now, "updated_at": now})
        if incident["status"] == "monitoring" and incident["monitoring_at"] is None:
            incident["monitoring_at"] = now
        if incident["status"] == "resolved" and incident["resolved_at"] is None:
            incident["resolved_at"] = now
        incident["updated_at"] = now


def _invalid(fields: dict, creating: bool) -> str | None:
    if creating and not fields.get("name"):
        return "name can't be blank"
    if len(fields.get("name") or "") > 255:
        return "name is too long (maximum is 255 characters)"
    if "status" in fields and fields["status"] not in REALTIME:
        return "status is not included in the list"
    metadata = fields.get("metadata")
    if metadata is not None and not (isinstance(metadata, dict) and all(isinstance(v, dict) for v in
                                                                        metadata.values())):
        return "metadata: all top-level values must be objects"
    return None


def _error(fault: Fault) -> Response:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.answer is not None:
        return Response(fault.answer, status_code=fault.status, headers=headers, media_type="text/html")
    return JSONResponse({"error": "Something went wrong"}, status_code=fault.status, headers=headers)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
