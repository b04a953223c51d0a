"""Scenario 3c, the closed-loop storm of scenario 3 at several numbers of requests in flight, each on a fresh
stack: the same 1,000 requests (10,000 alerts, 50 groups, HA pairs), `in_flight // 2` groups sending at a
time. In a closed loop the mean response time is the number in flight divided by the throughput (Little's
law), so one in-flight count says little about the gateway; the curve says how many concurrent notifications
it answers within the 50 ms goal, and what throughput the extra concurrency buys. Same invariants at every
level; the gateway is warm (as in scenario 3b)."""

from bench.scenarios.storm import SIZES as STORM_SIZES
from bench.scenarios.storm import absorb, closed_loop
from bench.stack import Stack

IN_FLIGHT = {"quick": (2, 8), "full": (2, 4, 8, 16, 32, 64)}
GOAL_P99_MS = 50  # by the gateway and by the load generator, whichever is worse


async def run(_stack: None, size: str) -> dict:
    plan = STORM_SIZES[size]
    levels = []
    for in_flight in IN_FLIGHT[size]:
        with Stack(f"storm_sweep-{in_flight}") as stack:
            result = await absorb(stack, plan, in_flight, closed_loop(in_flight), warm=True)
        worst_p99 = max(result["gateway_measured"]["p99_ms"] or 0, result["gateway_response"]["p99_ms"] or 0)
        levels.append({key: result[key] for key in (
            "in_flight", "requests", "requests_per_second", "gateway_measured", "gateway_response",
            "gateway_cpu_ms_per_request", "calls_per_distinct_snapshot", "wall_seconds", "invariants")}
            | {"within_goal": worst_p99 <= GOAL_P99_MS})
    within = [level["in_flight"] for level in levels if level["within_goal"]]
    invariants = {key: sum(level["invariants"][key] for level in levels)
                  for key in ("incidents", "expected", "incidents_started_twice", "lost_alerts", "duplicate_pages")}
    return {"levels": levels, "largest_in_flight_within_goal": max(within, default=None),
            "max_requests_per_second": max(level["requests_per_second"] for level in levels),
            "invariants": invariants}
