"""Chaos and fuzzing runs behind docs/reliability.md (R1–R7). Each script runs the full-size experiment and
prints a JSON summary; tests/test_reliability_*.py run the same functions at a smaller size."""
