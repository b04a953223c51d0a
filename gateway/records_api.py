"""What the routes that record people's work in the ledger share (`/api/training`, `/api/periodic`): their
refusals in the OpenAPI, the policy they need, and how a store call answers — 403 for a refusal (audited by
`authorize`), 422 naming what is wrong."""

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException

from domain.policy.model import Policy
from gateway.api import forbidden_as_403
from gateway.context import Gateway
from service.errors import Forbidden, ServiceError

T = TypeVar("T")
RECORDING_REFUSALS = {
    401: {"description": "Missing or wrong bearer token"},
    403: {"description": "Recording needs a commander or an admin (audited)"},
}


def valid_policy(gateway: Gateway) -> Policy:
    policy = gateway.policy()
    if policy is None:
        raise ServiceError("the policy is invalid (see `incident policy check`)")
    return policy


async def stored(store: Callable[[], T]) -> T:
    """Run `store` off the event loop: a refusal answers 403, a service error 422 with its message."""
    with forbidden_as_403():
        try:
            return await asyncio.to_thread(store)
        except Forbidden:
            raise
        except ServiceError as exc:
            raise HTTPException(422, str(exc)) from None
