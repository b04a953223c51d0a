"""The one way every process reaches Temporal (worker, gateway, CLI): the address and namespace of the settings,
the pydantic data converter, and tracing interceptors when tracing is on. Kept apart from worker.py so that a
client does not import every workflow and activity to connect."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings, get_settings


async def connect(settings: Settings | None = None, **options) -> Client:
    """options: Client.connect keywords (the worker's metrics runtime); tracing interceptors when enabled."""
    from observability import tracing

    settings = settings or get_settings()
    options.setdefault("interceptors", tracing.client_interceptors(settings, "incidentflow"))
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter,
        **options,
    )
