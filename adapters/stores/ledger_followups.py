"""The ledger's follow-ups of a resolved incident: its postmortem and its action items
(docs/learning-loop.md), two parts of `Ledger` (`adapters.stores.ledger`)."""

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from adapters.stores import ledger_schema as t
from adapters.stores.ledger_engine import LedgerError, insert_new
from adapters.stores.ledger_incidents import require_incident
from domain.incident.records import ActionItem, ActionTerm, PostmortemRecord


class PostmortemRecords:
    url: str
    engine: sa.Engine

    def save_draft(self, draft: PostmortemRecord) -> PostmortemRecord:
        """Store a draft unless one exists (a retried draft activity never overwrites edits)."""
        require_incident(self.engine, self.url, draft.incident_id)
        with self.engine.begin() as conn:
            insert_new(conn, t.postmortems, [draft.model_dump()], keys=("incident_id",))
        return self.postmortem(draft.incident_id)

    def postmortem(self, incident_id: str) -> PostmortemRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.postmortems).where(t.postmortems.c.incident_id == incident_id)).mappings()
            row = row.first()
        return PostmortemRecord.model_validate(dict(row)) if row else None

    def postmortems(self, incident_ids: Sequence[str] | None = None) -> list[PostmortemRecord]:
        query = sa.select(t.postmortems).order_by(t.postmortems.c.deadline)
        if incident_ids is not None:
            query = query.where(t.postmortems.c.incident_id.in_(list(incident_ids)))
        with self.engine.connect() as conn:
            return [PostmortemRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    def update_draft(self, incident_id: str, markdown: str) -> PostmortemRecord:
        record = self._require_postmortem(incident_id)
        if record.status == "published":
            raise LedgerError(f"the postmortem of {incident_id} is already published")
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(t.postmortems.c.incident_id == incident_id)
                         .values(markdown=markdown, draft_version=t.postmortems.c.draft_version + 1))
        return self.postmortem(incident_id)

    def note_postmortem_reminder(self, incident_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(t.postmortems.c.incident_id == incident_id)
                         .values(reminders_sent=t.postmortems.c.reminders_sent + 1))

    def mark_postmortem_missed(self, incident_id: str, at: datetime) -> PostmortemRecord:
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(
                t.postmortems.c.incident_id == incident_id, t.postmortems.c.missed_notified_at.is_(None),
                t.postmortems.c.published_at.is_(None),
            ).values(missed_notified_at=at))
        return self._require_postmortem(incident_id)

    def publish_postmortem(self, incident_id: str, by: str, at: datetime, markdown: str) -> PostmortemRecord:
        """Idempotent: publishing an already published postmortem returns it unchanged."""
        record = self._require_postmortem(incident_id)
        if record.status == "published":
            return record
        with self.engine.begin() as conn:
            conn.execute(t.postmortems.update().where(t.postmortems.c.incident_id == incident_id)
                         .values(status="published", published_at=at, published_by=by, markdown=markdown))
        return self._require_postmortem(incident_id)

    def _require_postmortem(self, incident_id: str) -> PostmortemRecord:
        record = self.postmortem(incident_id)
        if record is None:
            raise LedgerError(f"no postmortem for incident {incident_id!r} (is it resolved, and does its "
                              "severity require one?)")
        return record


class ActionItemRecords:
    url: str
    engine: sa.Engine

    def add_action(self, incident_id: str, title: str, owner: str, due: date, term: ActionTerm, by: str,
                   at: datetime) -> ActionItem:
        require_incident(self.engine, self.url, incident_id)
        with self.engine.begin() as conn:
            new_id = conn.execute(t.action_items.insert().values(
                incident_id=incident_id, title=title, owner=owner, due=due, term=term, status="open",
                created_at=at, created_by=by,
            ).returning(t.action_items.c.id)).scalar_one()
        return self.action(new_id)

    def action(self, action_id: int) -> ActionItem | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.action_items).where(t.action_items.c.id == action_id)).mappings().first()
        return ActionItem.model_validate(dict(row)) if row else None

    def actions(self, open_only: bool = False, owner: str | None = None,
                incident_ids: Sequence[str] | None = None) -> list[ActionItem]:
        query = sa.select(t.action_items).order_by(t.action_items.c.due, t.action_items.c.id)
        if open_only:
            query = query.where(t.action_items.c.status == "open")
        if owner:
            query = query.where(t.action_items.c.owner == owner)
        if incident_ids is not None:
            query = query.where(t.action_items.c.incident_id.in_(list(incident_ids)))
        with self.engine.connect() as conn:
            return [ActionItem.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    def complete_action(self, action_id: int, by: str, at: datetime) -> ActionItem:
        item = self.action(action_id)
        if item is None:
            raise LedgerError(f"no action item {action_id} (see `incident action list`)")
        if item.status == "done":
            raise LedgerError(f"action item {action_id} was already done by {item.done_by}")
        with self.engine.begin() as conn:
            conn.execute(t.action_items.update().where(t.action_items.c.id == action_id)
                         .values(status="done", done_by=by, done_at=at))
        return self.action(action_id)

    def verify_action(self, action_id: int, by: str, evidence: str, at: datetime) -> ActionItem:
        """Done → verified: the fix was checked to work, with the evidence (개선 계획 → 실행 및 검증)."""
        item = self.action(action_id)
        if item is None:
            raise LedgerError(f"no action item {action_id} (see `incident action list`)")
        if item.verified:
            raise LedgerError(f"action item {action_id} was already verified by {item.verified_by}")
        if item.status != "done":
            raise LedgerError(f"action item {action_id} is not done yet: `incident action done {action_id}` first")
        with self.engine.begin() as conn:
            conn.execute(t.action_items.update().where(t.action_items.c.id == action_id)
                         .values(verified_by=by, verified_at=at, evidence=evidence))
        return self.action(action_id)

    def note_action_reminder(self, action_id: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.action_items.update().where(t.action_items.c.id == action_id).values(
                last_reminded_at=at, reminders_sent=t.action_items.c.reminders_sent + 1))
