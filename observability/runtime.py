"""The worker's Temporal runtime: SDK metrics (and workflow.metric_meter() metrics) in Prometheus format on a
loopback port, which the worker's /metrics merges with the app metrics (observability/server.py)."""

import socket

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from workflows.metrics import TIME_TO_ACKNOWLEDGE, TIME_TO_ACKNOWLEDGE_BUCKETS


def loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prometheus_runtime(port: int) -> Runtime:
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
        bind_address=f"127.0.0.1:{port}",
        counters_total_suffix=True,  # the same names prometheus_client gives counters
        durations_as_seconds=True,
        histogram_bucket_overrides={TIME_TO_ACKNOWLEDGE: [float(b) for b in TIME_TO_ACKNOWLEDGE_BUCKETS]},
    )))
