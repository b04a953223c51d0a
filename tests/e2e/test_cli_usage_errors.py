"""Usage errors of the `incident` command: one line on stderr and exit 2, with whichever click the installed
typer brings (typer ≥ 0.25 vendors its own, whose errors are not click's)."""

import subprocess

import pytest

from testkit.environment import venv_binary


@pytest.mark.parametrize(("args", "line"), [
    (["policy", "show"], "error: No such command 'show'."),
    (["drill", "run"], "error: Missing argument 'path'."),
    (["declare", "--severity", "sev1"], "error: Missing option '--service'."),
    (["ack"], "error: Missing argument 'incident'."),
])
def test_a_usage_error_is_one_line_and_exit_2(args, line):
    done = subprocess.run([venv_binary("incident"), *args], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr.strip()) == (2, line)
