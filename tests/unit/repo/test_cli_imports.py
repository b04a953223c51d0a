"""`incident --help` and `incident <command> --help` stay quick (issue 27, docs/performance.md "CLI latency"):
the command modules import Temporal, the database, Slack and the gateway's web framework only inside the commands
that use them. Checked in a fresh interpreter, by what it has imported."""

import json
import subprocess
import sys

import pytest

from testkit.environment import PROJECT

HEAVY = ("temporalio", "sqlalchemy", "slack_sdk", "fastapi", "httpx")
PROBE = """
import json, sys
sys.argv = ["incident", *json.loads(sys.argv[1])]
import cli.main
if len(sys.argv) > 1:
    try:
        cli.main.app()
    except SystemExit:
        pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def imported_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=PROJECT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.rsplit("\n", 2)[-2]))


@pytest.mark.parametrize("args", [(), ("--help",), ("ack", "--help"), ("declare", "--help"), ("login", "--help"),
                                  ("oncall", "--help"), ("drill", "run", "--help"), ("token", "create", "--help")],
                         ids=lambda args: " ".join(args) or "import")
def test_help_imports_neither_temporal_nor_the_database(args):
    assert {name.split(".")[0] for name in imported_by(*args)} & set(HEAVY) == set()


def test_the_probe_sees_what_a_command_imports():
    """The check above could pass by looking at nothing: a command that runs imports what it needs."""
    assert "domain.policy.incident_policy" not in imported_by("--help")
    assert "domain.policy.incident_policy" in imported_by("policy", "schema")
