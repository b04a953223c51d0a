"""What every gateway route shares: settings, metrics, the Temporal connection, the policy, the outbox and the
alert intake."""

import logging

from fastapi import Request

from adapters.policy_files import PolicyError, policy_snapshot
from adapters.stores.ledger import Ledger, open_ledger
from adapters.stores.ledger_engine import default_url
from adapters.stores.outbox import outbox_url
from domain.policy.model import Policy
from gateway.dispatcher import LEASE
from gateway.intake import AlertIntake
from gateway.metrics import Metrics
from gateway.outbox import OutboxStore
from gateway.temporal import TemporalConnection
from observability import tracing
from settings import Settings


class Gateway:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.metrics = Metrics()
        self.temporal = TemporalConnection(settings.temporal_address, settings.temporal_namespace,
                                           tracing.client_interceptors(settings, "incidentflow-gateway"))
        ledger = self.ledger_url = settings.database_url or default_url(settings.data_dir)
        self.outbox = OutboxStore(outbox_url(ledger), LEASE, moved_from=ledger)
        self.intake = AlertIntake(self.temporal, settings.task_queue, self.metrics, settings.dedup_window_seconds,
                                  self.outbox, settings.gateway_answer_within_ms / 1000, self.policy)

    def policy(self) -> Policy | None:
        """The policy snapshot new incidents start with (the gateway reads the same policy files as the
        workers: same image or config map, docs/deploy.md). A broken file is not the gateway's to judge:
        None, and the workflow loads the policy itself and fails visibly."""
        try:
            return policy_snapshot(self.settings.policy_dir)
        except PolicyError as exc:
            logging.getLogger("incidentflow.gateway").warning("policy not loadable, incidents load it: %s", exc)
            return None

    def ledger(self) -> Ledger:
        """The incident ledger the settings name (opened and migrated once per process): blocking, call it off
        the event loop."""
        return open_ledger(self.ledger_url)


def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway
