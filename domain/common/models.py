"""The one base for documents people write (policy, runbooks, drill scenarios) and for decisions."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A misspelt key is an error, not silently ignored; values never change once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
