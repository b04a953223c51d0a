"""Scenario 3b, the storm sent open-loop: the same notifications as scenario 3 (`storm.py`: 50 groups × 10
notifications × 20 new alerts, each notification sent twice at once as an HA pair), but the pairs leave at a
stated steady rate whatever the answers — the way Alertmanager sends, on its own timers — instead of each
group sending its next one the moment the previous pair was answered. What it measures is what the 50 ms goal
is about: how fast the gateway answers Alertmanager while a storm of this size is being absorbed. The closed
loop of scenario 3 instead keeps as many requests in flight as it can and so measures the stack's capacity;
its response time is that queue (Little's law, docs/performance.md).

The rate must be one the stack sustains end to end (scenario 3 absorbed ~45 notifications/s on 2 cores); the
full size sends 25 pairs a second (50 requests/s), each group one notification every 2 s. A group never has
two notifications in flight (as with Alertmanager): a pair whose predecessor is still unanswered leaves when
it is answered. The pairs that left more than 5 ms after their time (held back so, or by a busy load
generator) and the worst lateness are reported, so a rate the stack does not sustain shows. Same invariants
as scenario 3.

Unlike scenario 3 the gateway is warm when the storm begins: one resolved-only notification of another group
first (answered `ignored`, it opens nothing) brings its Temporal connection up, as in a gateway that was
serving before the storm; otherwise a small run's p99 measures the first requests' connecting."""

import asyncio
import time

from bench.scenarios.storm import SIZES as STORM_SIZES
from bench.scenarios.storm import absorb
from bench.stack import Stack

RATE = {"quick": 50.0, "full": 50.0}  # requests per second (HA pairs: half as many notifications)
CONNECTIONS = 100  # the load generator's pool: enough that a slow answer never holds up the schedule


async def run(stack: Stack, size: str) -> dict:
    plan = STORM_SIZES[size]
    rate = RATE[size]

    async def open_loop(groups: list[list[dict]], post) -> dict:
        pairs_per_second = rate / 2
        start = time.monotonic() + 0.1
        lateness: list[float] = []

        async def group_sends(g: int, group: list[dict]) -> list[dict]:
            answers = []
            for n, body in enumerate(group):
                due = start + (n * len(groups) + g) / pairs_per_second
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                lateness.append(max(0.0, time.monotonic() - due))
                answers.extend(await asyncio.gather(post(body), post(body)))
            return answers

        sent = await asyncio.gather(*(group_sends(g, group) for g, group in enumerate(groups)))
        late = [x for x in lateness if x > 0.005]  # a few ms is the event loop, not a pair held back
        return {"answers": [a for group in sent for a in group], "rate_per_second": rate,
                "late_pairs": len(late), "max_lateness_ms": round(max(lateness, default=0.0) * 1000, 1)}

    return await absorb(stack, plan, CONNECTIONS, open_loop, warm=True)
