"""Runs each scenario on its own fresh stack, one after the other."""

import traceback

from bench.scenarios import cli_latency, drills, latency, open_incidents, storm, storm_paced, storm_sweep
from bench.stack import Stack

SCENARIOS = {
    "alert_to_page": latency.run,  # scenarios 1 (floor) and 2, measured together
    "storm": storm.run,  # closed loop: as fast as the gateway answers (capacity)
    "storm_paced": storm_paced.run,  # the same storm open-loop at a stated rate (response time while absorbing)
    "storm_sweep": storm_sweep.run,  # the closed loop at 2 … 64 requests in flight (the latency/throughput curve)
    "open_incidents": open_incidents.run,
    "drills": drills.run,
    "cli_latency": cli_latency.run,  # `incident --help` / `show` / `ack` wall time against the client's floors
}
NO_STACK = {"drills", "storm_sweep"}  # drills: a time-skipping test server; the sweep: a fresh stack per level


async def run_all(names: list[str], size: str, keep: bool = False) -> dict:
    results = {}
    for name in names:
        print(f"▶ {name} ({size})", flush=True)
        if name in NO_STACK:
            try:
                results[name] = await SCENARIOS[name](None, size)
            except Exception as exc:
                traceback.print_exc()
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        with Stack(name, keep=keep) as stack:
            try:
                results[name] = await SCENARIOS[name](stack, size)
            except Exception as exc:
                traceback.print_exc()
                results[name] = {"error": f"{type(exc).__name__}: {exc}", "logs": str(stack.dir)}
                stack.keep = True
    return results
