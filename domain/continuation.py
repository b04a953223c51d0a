"""When an open incident's workflow starts again as a new run of itself (Temporal's continue-as-new).

A worker without a cache (restarted, or a second worker taking over) replays an incident's whole history
before it can act on it, and replay time grows with the history: ~0.4 ms per event on this project's
reference machine, so 100 open incidents of ~500 events each kept a restarted worker busy for 15–20 s
(docs/reliability.md, R1). A new run starts from the carried state with a history of a few events.
"""

# Events, not bytes: the replay cost follows the number of workflow tasks and activities. Measured with R1
# (100 incidents, 20 kills): 200 left runs of ~210–255 events and escalations p99 26 s late after restarts;
# 80 left runs of ~90–150 events and p99 8 s. Lower buys less: every new run costs ~15 events of its own.
HISTORY_LIMIT = 80


def should_continue_as_new(history_length: int, suggested: bool, quiet: bool, drill: bool) -> bool:
    """Only at a quiet moment (nothing in flight: no activity, child runbook, update or unsent view), never
    for a drill (its run is its record), and when the history is long or Temporal suggests it."""
    return quiet and not drill and (suggested or history_length >= HISTORY_LIMIT)
