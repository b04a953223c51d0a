"""Reaching Temporal and finding an incident's workflow by incident id (by its name: service/workflow_names.py)."""

import asyncio

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from service.connection import connect as connect_with_settings
from service.errors import IncidentNotFound, ServiceError
from service.workflow_names import WORKFLOW_ID_PREFIX
from settings import get_settings


def unreachable() -> str:
    settings = get_settings()
    return (f"cannot reach Temporal at {settings.temporal_address} (namespace {settings.temporal_namespace}); "
            "is `incident dev` running? Set TEMPORAL_ADDRESS to point elsewhere")


async def connect() -> Client:
    try:
        return await asyncio.wait_for(connect_with_settings(), timeout=10)
    except (RuntimeError, TimeoutError, OSError):
        raise ServiceError(unreachable()) from None


def workflow_id(incident_id: str) -> str:
    return incident_id if incident_id.startswith(WORKFLOW_ID_PREFIX) else WORKFLOW_ID_PREFIX + incident_id


def incident_id(workflow_id_: str) -> str:
    return workflow_id_.removeprefix(WORKFLOW_ID_PREFIX)


async def incident_handle(client: Client, incident: str) -> WorkflowHandle:
    """The incident's workflow, checked to exist; its result (a finished incident) is the IncidentState."""
    from domain.incident.state import IncidentState  # the policy models: not for a client that only connects

    handle = client.get_workflow_handle(workflow_id(incident), result_type=IncidentState)
    try:
        await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise IncidentNotFound(f"no incident {incident!r} (see `incident list --all`)") from None
        raise
    return handle
