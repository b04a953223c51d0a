"""`python -m bench [--quick] [--only NAME ...]`: run the scenarios, print the table, write
bench/results/<date>.json and .md. Exit code 1 when an invariant (counts, duplicates) is broken."""

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.runner import SCENARIOS, run_all

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small sizes (under a minute each)")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="directory for <date>.json and .md")
    parser.add_argument("--keep", action="store_true", help="keep each stack's data directory and logs")
    args = parser.parse_args(argv)
    size = "quick" if args.quick else "full"
    began, started_at, machine = time.monotonic(), datetime.now(UTC), report.machine()  # the load before, not after
    results = asyncio.run(run_all(args.only or list(SCENARIOS), size, keep=args.keep))
    document = {
        "date": started_at.isoformat(timespec="seconds"), "size": size, "machine": machine,
        "wall_seconds": round(time.monotonic() - began, 1), "scenarios": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = datetime.now(UTC).strftime("%Y-%m-%d") + ("-quick" if args.quick else "")
    (args.out / f"{stem}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    markdown = report.markdown(document)
    (args.out / f"{stem}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"results: {args.out / stem}.json, .md", file=sys.stderr)
    broken = report.broken_invariants(document)
    for problem in broken:
        print(f"invariant broken: {problem}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the Temporal SDK can abort at interpreter exit (sdk-python #300)
