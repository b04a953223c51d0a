"""Chaos and fuzzing runs behind docs/reliability.md (R1–R7). Each script runs the full-size experiment and
prints a JSON summary; tests/e2e/test_reliability_chaos.py and tests/**/test_reliability_*.py run the same
functions at a smaller size. What they share with the tests (processes, polling) lives in testkit/."""
