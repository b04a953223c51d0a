"""Scenario 5: drill speed in time-skipping mode — the longest shipped drill (by scenario length) and a
synthetic 48-hour scenario, each played by `incident drill run`'s own runner (cli.drill_runner.run_instant).
Wall time per drill is the runner's own `wall_seconds` (from starting the drill to its scorecard)."""

import time
from pathlib import Path

from cli.drill_runner import LoadedScenario, load_all, run_instant
from domain.drills.scenario import Scenario
from settings import PROJECT_DIR

SYNTHETIC_48H = {
    "name": "bench-48h-unacknowledged",
    "description": "A Sev2 nobody acknowledges for 48 hours: every escalation, reminder and nag fires",
    "start": {"alert": {"labels": {"alertname": "BenchSlowBurn", "service": "friends", "severity": "warning"}}},
    "events": [
        {"at": "6h", "alert_resolved": {"alertname": "BenchSlowBurn"}},
        {"at": "47h", "do": "acknowledge", "by": "minsu"},
    ],
    "duration": "48h",
}


def longest_shipped() -> LoadedScenario:
    items, problems = load_all(PROJECT_DIR / "drills")
    if not items:
        raise RuntimeError(f"no shipped drills could be loaded: {problems}")
    return max(items, key=lambda item: item.scenario.length)


async def run(_stack, size: str) -> dict:
    shipped = longest_shipped()
    synthetic = LoadedScenario(path=Path("<synthetic>"), scenario=Scenario.model_validate(SYNTHETIC_48H),
                               policy_dir=None)
    began = time.monotonic()
    cards = await run_instant([shipped, synthetic])
    total = time.monotonic() - began
    by_name = {c.name: c for c in cards}
    shipped_card, synthetic_card = by_name[shipped.scenario.name], by_name[synthetic.scenario.name]
    return {
        "longest_shipped": {"name": shipped.scenario.name,
                            "length_hours": shipped.scenario.length.total_seconds() / 3600,
                            "wall_seconds": shipped_card.wall_seconds},
        "synthetic_48h": {"length_hours": 48, "wall_seconds": synthetic_card.wall_seconds,
                          "timeline_entries": len(synthetic_card.timeline), "pages": len(synthetic_card.pages),
                          "simulated_hours": round(synthetic_card.duration_seconds / 3600, 1)},
        "total_seconds_with_test_server_start": round(total, 2),
        "invariants": {"scorecards": len(cards), "expected": 2},
    }
