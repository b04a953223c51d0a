"""A local `incident ack` imports only what a decision needs (issue 27, docs/performance.md "CLI latency"): the
service layer addresses the incident workflow by name and connects without worker.py, so sending a decision loads
no workflow, no activity and no HTTP client. Checked in a fresh interpreter, by what it has imported."""

import json
import subprocess
import sys

import pytest

from testkit.environment import PROJECT

NOT_FOR_A_DECISION = ("workflows", "activities", "worker", "httpx", "fastapi", "slack_sdk", "gateway")
PROBE = "import importlib, json, sys; importlib.import_module(sys.argv[1]); print(json.dumps(sorted(sys.modules)))"


def imported_by(module: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, module], cwd=PROJECT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", ["service.decisions", "service.temporal"])
def test_sending_a_decision_imports_no_workflow_activity_or_http_client(module):
    assert {name.split(".")[0] for name in imported_by(module)} & set(NOT_FOR_A_DECISION) == set()


def test_connecting_imports_neither_the_database_nor_the_policy_models():
    imported = imported_by("service.temporal")
    assert "sqlalchemy" not in imported
    assert "domain.policy.model" not in imported


def test_the_probe_sees_what_a_module_imports():
    """The checks above could pass by looking at nothing: the incidents service does import the workflow."""
    assert "workflows.incident" in imported_by("service.incidents")
