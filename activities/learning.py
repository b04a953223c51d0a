"""Ledger side effects for the learning loop: recording incidents, writing postmortem drafts (to the ledger, and
the export file in the data dir), publishing, reminder bookkeeping. Database calls are blocking, so they run in
a thread; every one is idempotent."""

import asyncio
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from temporalio import activity

from adapters import postmortem_files
from adapters.stores.ledger import Ledger, open_ledger
from domain.incident.records import ActionItem, IncidentRecord, PostmortemRecord
from domain.incident.state import IncidentState
from domain.learning import postmortem as pm
from domain.learning.compliance import compliance
from domain.learning.metrics import find_recurrence
from domain.learning.periodic import CheckStatus
from domain.policy.model import Policy


class LedgerEvent(BaseModel):
    state: IncidentState
    event_id: str
    at: datetime


class DraftRequest(BaseModel):
    state: IncidentState
    policy: Policy
    policy_dir: str | None = None
    at: datetime


class PostmortemUpdate(BaseModel):
    incident_id: str
    at: datetime


class PublishRequest(BaseModel):
    incident_id: str
    by: str
    at: datetime
    root_cause: str | None = None
    recurrence_window_days: float = 90


class ReviewRequest(BaseModel):
    policy: Policy
    kind: str  # weekly | monthly
    period: str
    at: datetime


class ReviewWritten(BaseModel):
    markdown: str
    markdown_path: str
    chart_path: str


class PeriodicQuery(BaseModel):
    policy: Policy
    item: str
    period: str
    at: datetime


class ActionReminder(BaseModel):
    action_id: int
    at: datetime


def postmortem_path(data_dir: Path, incident_id: str) -> Path:
    return Path(data_dir) / "postmortems" / f"{incident_id}.md"


def template_path(policy: Policy, policy_dir: str | None) -> Path:
    from settings import get_settings

    return Path(policy_dir or get_settings().policy_dir) / policy.incident.learning.postmortem.template


class LedgerActivities:
    def __init__(self, ledger: Ledger | None = None, data_dir: Path | None = None):
        self._ledger = ledger
        self._data_dir = data_dir

    @property
    def ledger(self) -> Ledger:
        return self._ledger or open_ledger()

    @property
    def data_dir(self) -> Path:
        if self._data_dir is not None:
            return self._data_dir
        from settings import get_settings

        return get_settings().data_dir

    @activity.defn
    async def record_incident(self, event: LedgerEvent) -> bool:
        return await asyncio.to_thread(self.ledger.record_incident, event.state, event.event_id, event.at)

    @activity.defn
    async def draft_postmortem(self, request: DraftRequest) -> PostmortemRecord:
        return await asyncio.to_thread(self._draft, request)

    def _draft(self, request: DraftRequest) -> PostmortemRecord:
        ledger, state, policy = self.ledger, request.state, request.policy
        ledger.record_incident(state, f"{len(state.timeline)}:draft", request.at)
        path = postmortem_path(self.data_dir, state.id)
        existing = ledger.postmortem(state.id)
        if existing is None:
            template = template_path(policy, request.policy_dir).read_text(encoding="utf-8")
            window = policy.incident.learning.recurrence_window
            history = ledger.incidents(since=state.started_at - window)
            recurrence = find_recurrence(IncidentRecord.from_state(state), history, window)
            markdown = pm.render_draft(template, pm.draft_context(
                policy, state, pm.deadline(policy, state), compliance(policy, state, None, request.at), recurrence,
                ledger.actions(incident_ids=[state.id]),
            ))
            existing = ledger.save_draft(PostmortemRecord(
                incident_id=state.id, owner=pm.owner(state), deadline=pm.deadline(policy, state),
                drafted_at=request.at, path=str(path.resolve()), markdown=markdown,
            ))
        if not path.exists():  # the ledger holds the draft; the file is its export (a retry keeps the file)
            postmortem_files.export(ledger, state.id, path, existing.markdown)
        return existing

    @activity.defn
    async def note_postmortem_reminder(self, update: PostmortemUpdate) -> None:
        await asyncio.to_thread(self.ledger.note_postmortem_reminder, update.incident_id)

    @activity.defn
    async def mark_postmortem_missed(self, update: PostmortemUpdate) -> PostmortemRecord:
        return await asyncio.to_thread(self.ledger.mark_postmortem_missed, update.incident_id, update.at)

    @activity.defn
    async def publish_postmortem(self, request: PublishRequest) -> PostmortemRecord:
        return await asyncio.to_thread(self._publish, request)

    def _publish(self, request: PublishRequest) -> PostmortemRecord:
        from datetime import timedelta

        ledger = self.ledger
        record = ledger.postmortem(request.incident_id)
        if record is not None and record.status == "published":
            return record
        # the ledger's draft is what gets published (a hand edit of the export file on this host is taken in)
        draft = postmortem_files.take_in_hand_edit(ledger, request.incident_id, request.at)
        markdown = draft.markdown if draft else ""
        cause = (request.root_cause or pm.root_cause_from(markdown) or "").strip().lower() or None
        incident = ledger.incident(request.incident_id)
        if incident is not None:
            incident = incident.model_copy(update={"root_cause_category": cause})
            window = timedelta(days=request.recurrence_window_days)
            match = find_recurrence(incident, ledger.incidents(since=incident.started_at - window), window)
            ledger.set_root_cause(incident.id, cause, match.of if match else None)
        published = ledger.publish_postmortem(request.incident_id, request.by, request.at, markdown)
        path = record.path if record and record.path else postmortem_path(self.data_dir, request.incident_id)
        postmortem_files.export(ledger, request.incident_id, path, published.markdown)
        return published

    @activity.defn
    async def action_item(self, action_id: int) -> ActionItem | None:
        return await asyncio.to_thread(self.ledger.action, action_id)

    @activity.defn
    async def note_action_reminder(self, reminder: ActionReminder) -> None:
        await asyncio.to_thread(self.ledger.note_action_reminder, reminder.action_id, reminder.at)

    @activity.defn
    async def write_review(self, request: ReviewRequest) -> ReviewWritten:
        """The weekly/monthly review as Markdown + PNG in `<data dir>/reports/` (for the review bot)."""
        from adapters.report_files import write_report
        from domain.learning.reports import parse_period

        period = parse_period(request.kind, request.period, request.policy.incident.timezone, request.at)
        written = await asyncio.to_thread(write_report, self.ledger, request.policy, period,
                                          self.data_dir / "reports", request.at)
        return ReviewWritten(markdown=written.markdown, markdown_path=written.markdown_path,
                             chart_path=written.chart_path)

    @activity.defn
    async def periodic_status(self, query: PeriodicQuery) -> CheckStatus:
        """Whether a periodic check is done for its period (a completion record, or a drill where it counts)."""
        from service.periodic import status

        return await asyncio.to_thread(status, self.ledger, query.policy, query.item, query.period, query.at)

    def all(self) -> list:
        return [self.record_incident, self.draft_postmortem, self.note_postmortem_reminder,
                self.mark_postmortem_missed, self.publish_postmortem, self.action_item, self.note_action_reminder,
                self.write_review, self.periodic_status]
