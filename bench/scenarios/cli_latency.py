"""CLI latency (issue 27): the wall time of `incident --help`, `incident show ID` and `incident ack ID` as a person
types them (the installed console script, a fresh process each time, median of N runs), next to the floors of
the same run: `python -c "import temporalio.client"` (what any command that talks to Temporal pays first) and a
bare client round trip (a process that imports the client, connects and describes the incident's workflow: one
RPC after connecting). `show` and `ack` are also measured in remote mode, through the stack's gateway
(INCIDENTFLOW_URL / INCIDENTFLOW_TOKEN): no Temporal client in the CLI at all.

Each `ack` acknowledges an incident of its own (declared first over the REST API), so every run is an accepted
decision, never a refusal."""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from bench import load
from bench.stack import Stack
from bench.stats import ratio, summary_ms
from testkit.polling import wait_until

SIZES = {"quick": {"runs": 5}, "full": {"runs": 21}}
INCIDENT = [str(Path(sys.executable).parent / "incident")]
IMPORT_FLOOR = [sys.executable, "-c", "import temporalio.client"]
ROUND_TRIP_FLOOR = [sys.executable, "-c", """
import asyncio, os, sys
from temporalio.client import Client

async def main():
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    await client.get_workflow_handle(sys.argv[1]).describe()

asyncio.run(main())
os._exit(0)
"""]
GOALS = {"help_seconds": 0.3, "ack_to_floor": 1.5}


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}… exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed


async def _declare(http, n: int) -> str:
    answer = await http.post("/api/incidents", json={"service": "bench", "severity": "sev3", "by": "minsu",
                                                     "title": f"CLI latency probe {n}"})
    answer.raise_for_status()
    return answer.json()["id"]


async def _started(http, incident: str) -> None:
    async def shown() -> bool:
        return (await http.get(f"/api/incidents/{incident}")).status_code == 200

    await wait_until(shown, f"{incident} to start", 60)


async def run(stack: Stack, size: str) -> dict:
    runs = SIZES[size]["runs"]
    stack.start_worker()
    stack.start_gateway()
    async with load.gateway_client(stack) as http:
        incidents = [await _declare(http, n) for n in range(2 * runs + 1)]
        for incident in incidents:
            await _started(http, incident)
    local = {**stack._env(), "INCIDENTFLOW_URL": "", "XDG_CONFIG_HOME": str(stack.dir)}  # local mode, always
    remote = {**local, "INCIDENTFLOW_URL": stack.gateway_url, "INCIDENTFLOW_TOKEN": stack.token}
    shown, workflow = incidents[0], f"incident-{incidents[0]}"
    ack_local, ack_remote = incidents[1:runs + 1], incidents[runs + 1:]

    def measure() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {key: [] for key in (
            "help", "import_floor", "round_trip_floor", "show", "ack", "remote_show", "remote_ack")}
        _timed([*INCIDENT, "--help"], local, stack.dir)  # the file cache warms up first
        for n in range(runs):  # interleaved, so every figure sees the same background
            times["help"].append(_timed([*INCIDENT, "--help"], local, stack.dir))
            times["import_floor"].append(_timed(IMPORT_FLOOR, local, stack.dir))
            times["round_trip_floor"].append(_timed([*ROUND_TRIP_FLOOR, workflow], local, stack.dir))
            times["show"].append(_timed([*INCIDENT, "show", shown], local, stack.dir))
            times["ack"].append(_timed([*INCIDENT, "ack", ack_local[n], "--by", "minsu"], local, stack.dir))
            times["remote_show"].append(_timed([*INCIDENT, "show", shown], remote, stack.dir))
            times["remote_ack"].append(_timed([*INCIDENT, "ack", ack_remote[n], "--by", "minsu"], remote,
                                              stack.dir))
        return times

    times = await asyncio.to_thread(measure)
    figures = {key: summary_ms(values) for key, values in times.items()}
    p50 = {key: figure["p50_ms"] for key, figure in figures.items()}
    async with load.gateway_client(stack) as http:
        acked = [(await http.get(f"/api/incidents/{i}")).json()["acknowledged_by"] for i in incidents[1:]]
    return {
        "runs": runs, "figures": figures,
        "ratios": {"help_to_import_floor": ratio(p50["help"], p50["import_floor"]),
                   "show_to_round_trip_floor": ratio(p50["show"], p50["round_trip_floor"]),
                   "ack_to_round_trip_floor": ratio(p50["ack"], p50["round_trip_floor"]),
                   "remote_ack_to_round_trip_floor": ratio(p50["remote_ack"], p50["round_trip_floor"])},
        "goals": {"help_within": p50["help"] <= GOALS["help_seconds"] * 1000,
                  "ack_within": ratio(p50["ack"], p50["round_trip_floor"]) <= GOALS["ack_to_floor"]},
        "invariants": {"acknowledged": sum(by == "minsu" for by in acked), "expected": 2 * runs},
    }
