"""Timeouts and retry policies for activities, in one place."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# Pages and messages must never be dropped: retry until delivered, backing off to once a minute.
DELIVERY = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                                maximum_interval=timedelta(minutes=1)),
}
# Reading local files: quick, and a broken policy should fail fast and visibly.
LOCAL_READ = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_attempts=3, non_retryable_error_types=["PolicyError"]),
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
