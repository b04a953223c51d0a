"""Postmortem drafts in the ledger (docs/learning-loop.md, "Drafts"): read with their version, saved only from
the current version (compare-and-set in one UPDATE), and the hash of the text last written to the export file.
A part of `Ledger` (`adapters.stores.ledger`)."""

from datetime import datetime

import sqlalchemy as sa

from adapters.stores import ledger_schema as t
from adapters.stores.ledger_engine import LedgerError
from domain.learning.postmortem_draft import PostmortemDraft, stale_save_message

_pm = t.postmortems


class StaleDraft(LedgerError):
    """A save started from an older version than the ledger's: refused, nothing changed."""

    def __init__(self, incident_id: str, started_from: int, current: PostmortemDraft):
        super().__init__(stale_save_message(incident_id, started_from, current))
        self.current = current


class PostmortemDrafts:
    engine: sa.Engine

    def postmortem_draft(self, incident_id: str) -> PostmortemDraft | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_pm.c.incident_id, _pm.c.status, _pm.c.markdown, _pm.c.draft_version,
                                         _pm.c.updated_at, _pm.c.updated_by, _pm.c.path)
                               .where(_pm.c.incident_id == incident_id)).mappings().first()
        if row is None:
            return None
        return PostmortemDraft(**{k: v for k, v in row.items() if k != "draft_version"}, version=row["draft_version"])

    def save_postmortem_draft(self, incident_id: str, markdown: str, by: str, at: datetime,
                              started_from: int | None = None) -> PostmortemDraft:
        """Store a new text as the next version. With `started_from`, only when that is still the current version
        (StaleDraft otherwise); a published postmortem is never changed."""
        current = self.postmortem_draft(incident_id)
        if current is None:
            raise LedgerError(f"no postmortem for incident {incident_id!r} (is it resolved, and does its "
                              "severity require one?)")
        if current.status == "published":
            raise LedgerError(f"the postmortem of {incident_id} is already published")
        expected = current.version if started_from is None else started_from
        with self.engine.begin() as conn:
            changed = conn.execute(_pm.update().where(
                _pm.c.incident_id == incident_id, _pm.c.draft_version == expected, _pm.c.status == "draft",
            ).values(markdown=markdown, draft_version=expected + 1, updated_at=at, updated_by=by)).rowcount
        if changed != 1:
            raise StaleDraft(incident_id, expected, self.postmortem_draft(incident_id))
        return self.postmortem_draft(incident_id)

    def exported_hash(self, incident_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(_pm.c.exported_sha256).where(_pm.c.incident_id == incident_id)).scalar()

    def note_postmortem_export(self, incident_id: str, sha256: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(_pm.update().where(_pm.c.incident_id == incident_id).values(exported_sha256=sha256))
