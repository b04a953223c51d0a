"""What every gateway route shares: settings, metrics, the Temporal connection and the alert intake."""

from fastapi import Request

from gateway.intake import AlertIntake
from gateway.metrics import Metrics
from gateway.temporal import TemporalConnection
from observability import tracing
from settings import Settings


class Gateway:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.metrics = Metrics()
        self.temporal = TemporalConnection(settings.temporal_address, settings.temporal_namespace,
                                           tracing.client_interceptors(settings, "incidentflow-gateway"))
        self.intake = AlertIntake(self.temporal, settings.task_queue, self.metrics, settings.dedup_window_seconds)


def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway
