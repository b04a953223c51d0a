"""What the handover and report bots read: the stored overrides, the incident records, and the open
postmortems and action items.

Incident records come from Temporal (list visibility, then the result of a finished incident or the
`snapshot` query of a running one) together with the ledger of issue 7, which keeps finished incidents
after Temporal's retention has dropped them; postmortem drafts and action items come from the ledger.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from adapters.stores.overrides import OverrideStore
from domain.incident.state import IncidentState
from domain.oncall.handover import ActionItemDue, Followups, PostmortemDue
from domain.oncall.rotation import Override
from service.incident_reader import read_states

log = logging.getLogger(__name__)
LEDGER_LOOKBACK = timedelta(days=30)
ACTION_ITEMS_AHEAD = timedelta(weeks=1)  # the handover lists action items due within the incoming shift


class IncidentWindow(BaseModel):
    since: datetime
    until: datetime | None = None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def fetch_incident_records(client: Client, since: datetime, until: datetime | None = None,
                                 slim: bool = True) -> list[IncidentState]:
    """Incidents open now or closed since `since` (and started before `until`). `slim` drops the timeline,
    alerts and checklist, which the bots do not need, to keep activity results small."""
    query = (f"WorkflowType = 'IncidentWorkflow' AND (ExecutionStatus = 'Running' OR CloseTime >= "
             f"'{_rfc3339(since)}')")
    if until is not None:
        query += f" AND StartTime < '{_rfc3339(until)}'"
    states = await read_states(client, query)
    known = {s.id for s in states}
    states += [s for s in await asyncio.to_thread(ledger_records, since, until) if s.id not in known]
    if slim:
        states = [s.model_copy(update={"timeline": [], "alerts": {}, "checklist": [], "fired": []}) for s in states]
    return sorted(states, key=lambda s: s.detected_at)


def ledger_records(since: datetime, until: datetime | None) -> list[IncidentState]:
    """Finished incidents from the ledger: Temporal forgets closed workflows after the namespace's
    retention (one day on the dev server), the ledger keeps them. An incident may page days after it
    started, hence the look-back."""
    try:
        from adapters.stores.ledger import open_ledger

        ledger = open_ledger()
        records = ledger.incidents(since=since - LEDGER_LOOKBACK, until=until)
        snapshots = [ledger.snapshot(r.id) for r in records]
    except Exception:
        log.exception("cannot read the ledger; using Temporal's incident records only")
        return []
    return [s for s in snapshots if s is not None]


class OnCallActivities:
    def __init__(self, client: Client, store: OverrideStore | None = None):
        self.client = client
        self.store = store

    @activity.defn
    async def list_overrides(self) -> list[Override]:
        store = self.store or OverrideStore.from_settings()
        stored = await asyncio.to_thread(store.load)  # a database read: off the event loop
        return [Override(**o.model_dump(include={"tier", "who", "start", "end", "reason"})) for o in stored]

    @activity.defn
    async def collect_incidents(self, window: IncidentWindow) -> list[IncidentState]:
        return await fetch_incident_records(self.client, window.since, window.until)

    @activity.defn
    async def followups(self, at: datetime) -> Followups:
        """Draft postmortems and open action items due by the end of the incoming shift, from the ledger.
        Without a readable ledger the handover falls back to what the incident records say."""
        return await asyncio.to_thread(read_followups, at)


def read_followups(at: datetime) -> Followups:
    try:
        from adapters.stores.ledger import open_ledger

        ledger = open_ledger()
        drafts = [p for p in ledger.postmortems() if p.status == "draft"]
        due_by = (at + ACTION_ITEMS_AHEAD).date()
        actions = [a for a in ledger.actions(open_only=True) if a.due <= due_by]
    except Exception:  # the ledger is optional for the handover: say less rather than say nothing
        log.exception("cannot read the ledger; the handover lists postmortems from the incident records")
        return Followups(from_ledger=False)
    return Followups(
        from_ledger=True,
        postmortems=[PostmortemDue(incident_id=p.incident_id, deadline=p.deadline, owner=p.owner) for p in drafts],
        action_items=[ActionItemDue(incident_id=a.incident_id, title=a.title, owner=a.owner, due=a.due)
                      for a in actions],
    )
