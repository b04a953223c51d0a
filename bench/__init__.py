"""Benchmarks (`python -m bench`, `make bench`): every figure is measured next to a bare-Temporal floor in the
same run, on a fresh stack started exactly as `incident dev` starts it. See docs/performance.md."""
