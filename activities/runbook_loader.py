"""The activity that takes an incident's runbook snapshot (the files are read by adapters/runbook_files.py)."""

from temporalio import activity

from adapters.runbook_files import runbook_snapshot
from domain.runbooks.catalog import RunbookSet


@activity.defn
async def load_runbooks_snapshot(directory: str | None) -> RunbookSet:
    """The runbooks an incident keeps for its life. None means the worker's configured directory."""
    from settings import get_settings

    return runbook_snapshot(directory or get_settings().runbook_dir)
