"""The worker's application metrics (prometheus_client), recorded by activities.

Escalations and time to acknowledge are decided inside the workflow and recorded there through
`workflow.metric_meter()` (workflows/metrics.py); the SDK's Prometheus runtime exports them, and the
worker's /metrics serves both together (observability/server.py). Open incidents are read from Temporal
visibility at scrape time (observability/open_incidents.py), so they are right whichever worker runs them.

One module-level registry per worker process: every activity of the process counts into it."""

import functools
from collections import OrderedDict

from prometheus_client import CollectorRegistry, Counter, Gauge
from temporalio.exceptions import ApplicationError

PREFIX = "incidentflow_"
REGISTRY = CollectorRegistry()

PAGES_SENT = Counter(
    f"{PREFIX}pages_sent", "Pages delivered to a responder, by on-call tier and channel (drills: drill-transcript)",
    ["tier", "channel"], registry=REGISTRY,
)
NOTIFICATION_FAILURES = Counter(
    f"{PREFIX}notification_failures", "Failed deliveries by channel adapter and operation (each attempt counts)",
    ["adapter", "operation"], registry=REGISTRY,
)
REMEDIATION_STEPS = Counter(
    f"{PREFIX}remediation_steps", "Runbook actions run, by action kind, purpose and outcome (ok, failed, error)",
    ["kind", "purpose", "outcome"], registry=REGISTRY,
)

# Set by the watchdog (service/watchdog.py) after each sweep; every worker sweeps, so take `max`, never `sum`.
INCIDENTS_FAILING = Gauge(
    f"{PREFIX}incidents_failing", "Running incidents whose workflow task failed or timed out twice or more in a row "
    "(their escalation is stopped; the watchdog pages the primary)", registry=REGISTRY,
)
WATCHDOG_SWEPT = Gauge(
    f"{PREFIX}watchdog_last_sweep_timestamp_seconds", "When the watchdog last finished a sweep (Unix time; 0: never): "
    "alert when it is older than a few sweeps", registry=REGISTRY,
)


_counted_pages: OrderedDict[tuple[str, str], None] = OrderedDict()
_REMEMBERED_PAGES = 10_000


def page_sent(key: str, tier: str, channel: str) -> None:
    """Once per page and channel: a retried activity (another channel failed) re-delivers idempotently,
    and must not count the channels that had already succeeded again."""
    if (key, channel) in _counted_pages:
        return
    _counted_pages[(key, channel)] = None
    if len(_counted_pages) > _REMEMBERED_PAGES:
        _counted_pages.popitem(last=False)
    PAGES_SENT.labels(tier, channel).inc()


def watchdog_swept(failing: int) -> None:
    INCIDENTS_FAILING.set(failing)
    WATCHDOG_SWEPT.set_to_current_time()


def notification_failed(adapter: str, operation: str) -> None:
    NOTIFICATION_FAILURES.labels(adapter, operation).inc()


def remediation_step(run_action):
    """Counts every attempt of a runbook action by outcome: `ok`, `failed` (the check said no or the change
    failed for good) or `error` (could not ask; Temporal retries it)."""

    @functools.wraps(run_action)
    async def counted(self, request):
        labels = (request.action.kind, request.purpose)
        try:
            outcome = await run_action(self, request)
        except ApplicationError as exc:
            REMEDIATION_STEPS.labels(*labels, "failed" if exc.non_retryable else "error").inc()
            raise
        except Exception:
            REMEDIATION_STEPS.labels(*labels, "error").inc()
            raise
        REMEDIATION_STEPS.labels(*labels, "ok" if outcome.ok else "failed").inc()
        return outcome

    return counted
