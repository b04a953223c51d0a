"""The external status page: the built-in one (a SQLite store the gateway serves at /status) and, for teams
that use Atlassian Statuspage, its REST API (`POST/PATCH /v1/pages/{page_id}/incidents`, found again by their
metadata). Only incidents whose severity the policy marks public (`status_page: true`) are shown; drills never
get here."""

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from adapters.channels.errors import rate_limited, rejected, unavailable
from adapters.stores.status_store import StatusStore
from adapters.stores.statuspage_state import StatuspageState
from domain.common.limits import clip
from domain.comms.notifications import Notification, PageRequest
from domain.comms.view import IncidentView
from domain.policy.oncall_policy import Person

METADATA_KEY = "incidentflow"
PER_PAGE = 100  # unresolved incidents per page (the API's default)
NAME_MAX = 255  # Statuspage refuses longer incident names (422)


class StatusPageChannel:
    """Keeps the built-in status page's store up to date with every published view."""

    name = "status"

    def __init__(self, store: StatusStore):
        self.store = store

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        """Pages are internal."""

    async def send(self, notification: Notification) -> None:
        """Updates come as views (phase changes, posted updates), not as messages."""

    async def update(self, view: IncidentView) -> None:
        if view.public:
            self.store.save(view)
        else:
            self.store.remove(view.incident_id)  # e.g. downgraded to a severity the policy keeps internal


class _Ours(BaseModel):
    """What this adapter writes into a Statuspage incident's metadata (top-level values must be objects)."""

    incident_id: str
    sent: str = ""  # digest of the name/status/message last sent


class _Incident(BaseModel):
    """The fields of a Statuspage incident the adapter reads; the API returns many more."""

    id: str
    metadata: dict[str, Any] | None = None

    def ours(self) -> _Ours | None:
        try:
            return _Ours.model_validate((self.metadata or {}).get(METADATA_KEY))
        except ValidationError:  # another integration's incident, or none of ours
            return None


_Incidents = TypeAdapter(list[_Incident])


class StatuspageIoChannel:
    """Atlassian Statuspage: one Statuspage incident per public incident, its id kept in the data directory.

    Idempotent although Statuspage has no idempotency key: each incident carries metadata
    `{"incidentflow": {"incident_id", "sent"}}` (`sent`: a digest of what it shows). Without a record here (a
    first publish, or one whose POST was processed but its answer lost) the adapter looks for the incident among
    the page's unresolved ones before creating it; after a request whose answer never came (recorded here as
    in doubt), the next attempt reads the incident back before PATCHing, so an update whose answer was lost is
    not posted twice. (The next attempt may be a new activity: the workflow retries views itself.)"""

    name = "statuspage"

    def __init__(self, api_url: str, page_id: str, api_key: SecretStr, state_file: Path, timeout: float = 10.0):
        self.api_url = api_url.rstrip("/") + "/"
        self.page_id = page_id
        self.api_key = api_key
        self.state = StatuspageState(Path(state_file))
        self.timeout = timeout

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        """Pages are internal."""

    async def send(self, notification: Notification) -> None:
        """Updates come as views."""

    async def update(self, view: IncidentView) -> None:
        if not view.public or not view.updates:
            return
        incident = {"name": clip(view.title, NAME_MAX), "status": view.public_status,
                    "body": view.external_update or view.updates[-1].message}  # the policy's external_update
        signature = json.dumps({"incident": incident}, sort_keys=True, ensure_ascii=False)
        known = self.state.load(view.incident_id)
        if known and known[1] == signature:
            return
        remote_id = known[0] if known else None
        if known is None or self.state.in_doubt(view.incident_id):  # a request acted on whose answer was lost?
            found = await self._find(view.incident_id, remote_id)
            if found is not None:
                remote_id, ours = found.id, found.ours()
                if ours is not None and ours.sent == _digest(signature):
                    self.state.save(view.incident_id, remote_id, signature)
                    return
        ours = {METADATA_KEY: {"incident_id": view.incident_id, "sent": _digest(signature)}}
        body = {"incident": {**incident, "metadata": ours}}
        self.state.doubt(view.incident_id)  # until its answer is in: the next attempt, whichever it is, looks first
        if remote_id is None:
            remote_id = (await self._request("POST", f"pages/{self.page_id}/incidents", _Incident, json=body)).id
        else:
            await self._request("PATCH", f"pages/{self.page_id}/incidents/{remote_id}", _Incident, json=body)
        self.state.save(view.incident_id, remote_id, signature)

    async def _find(self, incident_id: str, remote_id: str | None) -> _Incident | None:
        """Our Statuspage incident for `incident_id`: read back by id, or looked for among the unresolved ones."""
        if remote_id is not None:
            return await self._request("GET", f"pages/{self.page_id}/incidents/{remote_id}", _Incident)
        for number in itertools.count(1):
            incidents = await self._request("GET", f"pages/{self.page_id}/incidents/unresolved", _Incidents,
                                            params={"page": number, "per_page": PER_PAGE})
            for incident in incidents:
                ours = incident.ours()
                if ours is not None and ours.incident_id == incident_id:
                    return incident
            if len(incidents) < PER_PAGE:
                return None

    async def _request(self, method: str, path: str, answer, **request):
        """One API call; its answer validated as `answer` (a model or TypeAdapter). The key is never logged."""
        what = f"{method} {path}"
        headers = {"Authorization": f"OAuth {self.api_key.get_secret_value()}"}
        try:
            async with httpx.AsyncClient(base_url=self.api_url, timeout=self.timeout) as client:
                response = await client.request(method, path, headers=headers, **request)
        except httpx.HTTPError as exc:
            raise unavailable("Statuspage", what, f"{type(exc).__name__}: {exc}") from None
        if response.status_code in (420, 429):  # Statuspage rate limits with either
            raise rate_limited("Statuspage", what, response.headers.get("retry-after"))
        if response.status_code >= 500 or response.status_code == 404:  # 404: read again, or created afresh
            raise unavailable("Statuspage", what, f"HTTP {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            raise rejected("Statuspage", what, f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            if isinstance(answer, TypeAdapter):
                return answer.validate_json(response.content)
            return answer.model_validate_json(response.content)
        except ValidationError as exc:  # e.g. a truncated answer: retried, and the retry looks before it writes
            raise unavailable("Statuspage", what, f"unexpected answer ({exc.error_count()} errors): "
                                                  f"{response.text[:120]!r}") from None


def _digest(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()[:32]
