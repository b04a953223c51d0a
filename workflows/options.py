"""Timeouts and retry policies for activities and the incident workflow's tasks, in one place."""

from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

# Pages and messages must never be dropped: retry until delivered, backing off to once a minute.
# One attempt may take up to 30 s (a slow Slack or PagerDuty), but an attempt lost with its worker is retried
# after 5 s without heartbeats, not 30 s: every activity run with these options heartbeats in the background
# (activities/heartbeat.py).
DELIVERY = {
    "start_to_close_timeout": timedelta(seconds=30),
    "heartbeat_timeout": timedelta(seconds=5),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                                maximum_interval=timedelta(minutes=1)),
}
# Reading local files: quick, and a broken policy should fail fast and visibly (PolicyError is not retried).
# Anything else is retried until it works: with a limit of 3 attempts, three attempts lost to worker crashes
# failed the incident workflow before its first page (bench/chaos/crash.py, docs/reliability.md R1).
LOCAL_READ = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=10), non_retryable_error_types=["PolicyError"]),
}
# Reading incident records from Temporal itself: retry a few times, it is the same cluster we run on.
TEMPORAL_READ = {
    "start_to_close_timeout": timedelta(minutes=2),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5),
}
# Ledger writes: a database outage must delay the record, never lose it; every write is idempotent.
LEDGER = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                                maximum_interval=timedelta(minutes=1), non_retryable_error_types=["LedgerError"]),
}

# Workflow task timeout of an incident, given by every starter (gateway, CLI). A task in flight when its worker
# dies is handed to another worker only after this: with Temporal's default of 10 s an escalation due then came
# 10 s late after a SIGKILL (docs/reliability.md R1). With runs of at most ~100 events (continue-as-new), the
# longest of ~12,000 workflow tasks in two R1 runs (restarted workers replaying 100 incidents on 2 cores) took
# 0.57 s, so 3 s leaves 5x room; a task that does time out is simply retried. 4 s left an escalation behind a
# task in flight at a kill 2.5 s late after the restart; a restart takes ~1.4 s at least, so 3 s stays in 2 s.
# Continued runs keep the timeout their first run was started with.
INCIDENT_TASK_TIMEOUT = timedelta(seconds=3)

# A view some channel refused is tried again by the workflow (with the newest view by then), backing off like
# DELIVERY, or after the channel's Retry-After.
VIEW_RETRY_FIRST, VIEW_RETRY_MAX = timedelta(seconds=1), timedelta(minutes=1)


def retry_delay(error: ActivityError) -> timedelta | None:
    """The Retry-After a channel asked for, carried by the activity's failure."""
    cause = error.cause
    return cause.next_retry_delay if isinstance(cause, ApplicationError) else None
