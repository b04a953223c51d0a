"""What the handover and report bots read, as activities: the stored overrides, the incident records, and the
open postmortems and action items (read through service/oncall.py; docs/oncall.md)."""

import asyncio
from datetime import datetime

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from adapters.stores.overrides import OverrideStore
from domain.incident.state import IncidentState
from domain.oncall.handover import Followups
from domain.oncall.rotation import Override
from service.oncall import fetch_incident_records, read_followups, stored_overrides


class IncidentWindow(BaseModel):
    since: datetime
    until: datetime | None = None


class OnCallActivities:
    def __init__(self, client: Client, store: OverrideStore | None = None):
        self.client = client
        self.store = store

    @activity.defn
    async def list_overrides(self) -> list[Override]:
        store = self.store or OverrideStore.from_settings()
        stored = await asyncio.to_thread(stored_overrides, store)  # a database read: off the event loop
        return [Override(**o.model_dump(include={"tier", "who", "start", "end", "reason"})) for o in stored]

    @activity.defn
    async def collect_incidents(self, window: IncidentWindow) -> list[IncidentState]:
        return await fetch_incident_records(self.client, window.since, window.until)

    @activity.defn
    async def followups(self, at: datetime) -> Followups:
        """Draft postmortems and open action items due by the end of the incoming shift, from the ledger."""
        return await asyncio.to_thread(read_followups, at)
