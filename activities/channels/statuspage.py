"""The external status page: the built-in one (a SQLite store the gateway serves at /status) and, for teams
that use Atlassian Statuspage, its REST API (`POST/PATCH /v1/pages/{page_id}/incidents`). Only incidents
whose severity the policy marks public (`status_page: true`) are shown; drills never get here."""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
from pydantic import SecretStr

from activities.channels.errors import rate_limited, unavailable
from activities.status_store import StatusStore
from domain.comms import IncidentView
from domain.notifications import Notification, PageRequest
from domain.policy import Person


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


class StatuspageIoChannel:
    """Atlassian Statuspage: one Statuspage incident per public incident, its id kept in the data directory."""

    name = "statuspage"

    def __init__(self, api_url: str, page_id: str, api_key: SecretStr, state_file: Path, timeout: float = 10.0):
        self.api_url = api_url.rstrip("/") + "/"
        self.page_id = page_id
        self.api_key = api_key
        self.state_file = Path(state_file)
        self.timeout = timeout

    async def page(self, request: PageRequest, target: str, person: Person | None) -> None:
        """Pages are internal."""

    async def send(self, notification: Notification) -> None:
        """Updates come as views."""

    async def update(self, view: IncidentView) -> None:
        if not view.public or not view.updates:
            return
        known = self._load(view.incident_id)
        latest = view.updates[-1]
        body = {"incident": {"name": view.title, "status": view.public_status, "body": latest.message}}
        signature = json.dumps(body, sort_keys=True, ensure_ascii=False)
        if known and known[1] == signature:
            return
        if known is None:
            created = await self._request("POST", f"pages/{self.page_id}/incidents", body)
            self._save(view.incident_id, created["id"], signature)
        else:
            await self._request("PATCH", f"pages/{self.page_id}/incidents/{known[0]}", body)
            self._save(view.incident_id, known[0], signature)

    async def _request(self, method: str, path: str, body: dict) -> dict:
        headers = {"Authorization": f"OAuth {self.api_key.get_secret_value()}"}
        try:
            async with httpx.AsyncClient(base_url=self.api_url, timeout=self.timeout) as client:
                response = await client.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise unavailable("Statuspage", f"{method} {path}", f"{type(exc).__name__}: {exc}") from None
        if response.status_code == 429:
            raise rate_limited("Statuspage", f"{method} {path}", response.headers.get("retry-after"))
        if response.status_code >= 400:
            raise unavailable("Statuspage", f"{method} {path}", f"HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    def _connect(self) -> sqlite3.Connection:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.state_file, timeout=10)
        db.execute("CREATE TABLE IF NOT EXISTS incidents (id TEXT PRIMARY KEY, remote_id TEXT, sent TEXT)")
        return db

    def _load(self, incident_id: str) -> tuple[str, str] | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT remote_id, sent FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            return (row[0], row[1]) if row else None

    def _save(self, incident_id: str, remote_id: str, sent: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO incidents VALUES (?, ?, ?)", (incident_id, remote_id, sent))
