"""The gateway with a worker on the time-skipping server, for the modules that send it alerts."""

import pytest

from testkit.gateway import alert_stack


@pytest.fixture
async def alert_gateway(time_env, task_queue, recorder):
    """A worker and the gateway on the time-skipping server: alerts in over HTTP, pages out to `recorder`."""
    async with alert_stack(time_env, task_queue, recorder) as gateway:
        yield gateway
