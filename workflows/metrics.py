"""Metrics decided inside the incident workflow, recorded with `workflow.metric_meter()`.

The meter is replay safe: a worker that takes over an incident replays its history without counting
again. The worker's Temporal runtime exports these with its own Prometheus metrics (observability/runtime.py);
without that runtime (tests, `incident dev` with the port off) they cost nothing. Drills are not counted."""

from datetime import timedelta

from temporalio import workflow

ESCALATIONS = "incidentflow_escalations_fired"
TIME_TO_ACKNOWLEDGE = "incidentflow_time_to_acknowledge_seconds"
# Seconds: the policy's response times run from 5 minutes (Sev0) to a business day (Sev3).
TIME_TO_ACKNOWLEDGE_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)


def escalation_fired(rule: str, tier: str, paged: bool, severity: str) -> None:
    workflow.metric_meter().create_counter(ESCALATIONS, "Escalation rules that fired, by rule").add(
        1, {"rule": rule, "tier": tier, "paged": str(paged).lower(), "severity": severity}
    )


def acknowledged(after: timedelta, severity: str) -> None:
    workflow.metric_meter().create_histogram_float(
        TIME_TO_ACKNOWLEDGE, "Detection to first acknowledgement", unit="s"
    ).record(max(after.total_seconds(), 0.0), {"severity": severity})
