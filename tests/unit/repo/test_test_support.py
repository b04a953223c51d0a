"""Tests share their support code through testkit/ only (README.md, "Layout"): a test module importing another
would run that module's tests' imports and fixtures, and hide a helper where the next test cannot find it."""

import ast

from testkit.environment import PROJECT


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return found | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_no_test_testkit_or_bench_module_imports_a_test_module():
    offenders = {}
    for folder in ("tests", "testkit", "bench"):
        for path in sorted((PROJECT / folder).rglob("*.py")):
            tests = sorted(m for m in imported_modules(path) if m == "tests" or m.startswith("tests."))
            if tests:
                offenders[str(path.relative_to(PROJECT))] = tests
    assert offenders == {}
