import asyncio
from datetime import timedelta

from domain.decisions import Acknowledge
from tests.helpers import running_worker, start_incident


async def test_smoke(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue)
        await time_env.sleep(timedelta(minutes=20))
        state = await handle.query("snapshot")
        print(state)
        res = await handle.execute_update("decide", Acknowledge(by="bob"))
        print(res)
        await time_env.sleep(timedelta(minutes=50))
        state = await handle.query("snapshot")
        for t in state.timeline: print(t)
        print(recorder.pages())
