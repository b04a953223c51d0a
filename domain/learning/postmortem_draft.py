"""A postmortem draft as people edit it (docs/learning-loop.md, "Drafts"): the Markdown kept in the ledger with
a version number, so a save made from a stale copy is refused instead of overwriting someone else's work."""

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DRAFT_MAX_CHARS = 200_000  # a long postmortem is ~20,000 characters; the bound keeps a paste from filling the ledger


class PostmortemDraft(BaseModel):
    incident_id: str
    status: Literal["draft", "published"]
    markdown: str
    version: int = Field(description="Goes up by one with every save; a save names the version it started from")
    updated_at: datetime | None = Field(None, description="Last save (none: as drafted at resolution)")
    updated_by: str | None = None
    path: str | None = Field(None, description="The export file in the worker's data directory")


def text_hash(markdown: str) -> str:
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def stale_save_message(incident: str, started_from: int, current: PostmortemDraft) -> str:
    who = f" by {current.updated_by}" if current.updated_by else ""
    return (f"the postmortem of {incident} was saved{who} since you opened it (version {current.version}, yours "
            f"started from {started_from}); nothing was overwritten: copy your text, reload the draft and apply "
            "your changes again")
