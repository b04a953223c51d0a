"""Timeouts and retry policies for activities and the incident workflow's tasks, in one place."""

from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

# Pages and messages must never be dropped: retry until delivered, backing off to once a minute. An attempt may
# take 30 s (a slow Slack or PagerDuty); one lost with its worker is retried after 5 s without heartbeats
# (activities/heartbeat.py, docs/reliability.md "Deliveries heartbeat").
DELIVERY = {
    "start_to_close_timeout": timedelta(seconds=30),
    "heartbeat_timeout": timedelta(seconds=5),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                                maximum_interval=timedelta(minutes=1)),
}
# Reading local files: quick, and a broken policy should fail fast and visibly (PolicyError is not retried);
# anything else is retried until it works, so attempts lost to worker crashes never fail an incident
# (docs/reliability.md, "Reading the policy is retried until it works").
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

# Workflow task timeout of an incident, given by every starter (gateway, CLI; continued runs keep it): a task in
# flight when its worker dies is handed to another worker only after this (docs/reliability.md, R1).
INCIDENT_TASK_TIMEOUT = timedelta(seconds=3)

# A view some channel refused is tried again by the workflow (with the newest view by then), backing off like
# DELIVERY, or after the channel's Retry-After.
VIEW_RETRY_FIRST, VIEW_RETRY_MAX = timedelta(seconds=1), timedelta(minutes=1)


def retry_delay(error: ActivityError) -> timedelta | None:
    """The Retry-After a channel asked for, carried by the activity's failure."""
    cause = error.cause
    return cause.next_retry_delay if isinstance(cause, ApplicationError) else None
