"""When an open incident's workflow starts again as a new run of itself (Temporal's continue-as-new).

A worker without a cache (restarted, or a second worker taking over) replays an incident's whole history
before it can act on it, and replay time grows with the history: ~0.4 ms per event on this project's
reference machine, so 100 open incidents of ~500 events each kept a restarted worker busy for 15–20 s
(docs/reliability.md, R1). A new run starts from the carried state with a history of a few events.
"""

# Events, not bytes: the replay cost follows the number of workflow tasks and activities. R1 (100 incidents,
# 20 kills) was better with 80 (runs of ~90–150 events, escalations p99 8 s late) than with 200 (~210–255, p99
# 26 s; one run each on a noisy machine). 100 rather than 80: a Sev0's start-up burst alone is ~90 events, and
# a run that continues within a second of its start only adds the ~15 events of a new run. Far below that (a
# new run needs ~15 events to resume) every run would continue as soon as it started. Readers ask again when a
# query reaches a run as it continues (activities/incident_reader.query_snapshot).
HISTORY_LIMIT = 100


def should_continue_as_new(history_length: int, suggested: bool, quiet: bool, drill: bool) -> bool:
    """Only at a quiet moment (nothing in flight: no activity, child runbook, update or unsent view), never
    for a drill (its run is its record), and when the history is long or Temporal suggests it."""
    return quiet and not drill and (suggested or history_length >= HISTORY_LIMIT)
