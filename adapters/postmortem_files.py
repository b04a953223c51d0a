"""The postmortem's export file, `<data dir>/postmortems/<id>.md` (docs/learning-loop.md, "Drafts"): the ledger
holds the draft; the file is written from it where the data directory is reachable (the worker, a local CLI).
A file whose text is neither the one last exported nor the ledger's was edited by hand on that host: it is
taken in as the draft's next version, so the older way of editing the file keeps working."""

from pathlib import Path

from adapters.stores.ledger import Ledger
from domain.learning.postmortem_draft import PostmortemDraft, text_hash

HAND_EDIT = "the export file"  # `updated_by` of a version taken in from a hand-edited file


def export(store: Ledger, incident_id: str, path: Path | str | None, markdown: str) -> bool:
    """Write the export file and remember its hash; False when the data directory is not reachable here."""
    if not path:
        return False
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(markdown, encoding="utf-8")
    except OSError:
        return False
    store.note_postmortem_export(incident_id, text_hash(markdown))
    return True


def hand_edit(store: Ledger, draft: PostmortemDraft) -> str | None:
    """The export file's text when someone edited it by hand since it was written (else None)."""
    if draft.status != "draft" or not draft.path:
        return None
    try:
        text = Path(draft.path).read_text(encoding="utf-8")
    except OSError:  # no file here (the gateway in compose), or not readable
        return None
    if text == draft.markdown or text_hash(text) == store.exported_hash(draft.incident_id):
        return None
    return text


def take_in_hand_edit(store: Ledger, incident_id: str, at) -> PostmortemDraft | None:
    """The current draft, after taking in a hand edit of its export file as the next version."""
    draft = store.postmortem_draft(incident_id)
    if draft is None:
        return None
    text = hand_edit(store, draft)
    if text is None:
        return draft
    saved = store.save_postmortem_draft(incident_id, text, HAND_EDIT, at, started_from=draft.version)
    store.note_postmortem_export(incident_id, text_hash(text))
    return saved
