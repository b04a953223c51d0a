"""When an open incident's workflow starts again as a new run of itself (Temporal's continue-as-new): a worker
without a cache replays the whole history before it can act, and a new run starts from the carried state with a
history of a few events (docs/architecture.md, "The incident loop")."""

# Events, not bytes: replay time follows the events. 100 keeps a Sev0's start-up burst in its first run
# (docs/reliability.md, "Histories stay short"; the measurements are in bench/results/reliability-history.md).
HISTORY_LIMIT = 100


def should_continue_as_new(history_length: int, suggested: bool, quiet: bool, drill: bool) -> bool:
    """Only at a quiet moment (nothing in flight: no activity, child runbook, update or unsent view), never
    for a drill (its run is its record), and when the history is long or Temporal suggests it."""
    return quiet and not drill and (suggested or history_length >= HISTORY_LIMIT)
