"""The worker passes every module through the workflow sandbox (worker.sandboxed_runner), so nothing stops
`datetime.now()` in workflow code at run time; ruff's banned-api rule does, in workflows/ and domain/, in every
`make test`. These check that the rule is on where it must be and off where side effects belong."""

import subprocess
import sys

import pytest

from testkit.environment import PROJECT

NONDETERMINISTIC = '''\
import os
import random
import time
from datetime import datetime as moment
from uuid import uuid4


def decide():
    return moment.now(), time.time(), random.random(), uuid4(), os.environ["TOKEN"]
'''


def ruff_findings(path: str) -> list[str]:
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "--select",
                              "TID251", "--stdin-filename", path, "-"], input=NONDETERMINISTIC, cwd=PROJECT,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode in (0, 1), checked.stderr  # 1: findings; anything else: ruff did not check
    return [line.split(" is banned")[0].split("TID251 ")[1] for line in checked.stdout.splitlines()
            if "TID251" in line]


@pytest.mark.parametrize("path", ["workflows/new_workflow.py", "domain/new_rule.py"])
def test_time_randomness_and_environment_are_refused_in_workflow_and_domain_code(path):
    assert ruff_findings(path) == ["`random`", "`uuid.uuid4`", "`datetime.datetime.now`", "`time.time`",
                                   "`os.environ`"]


@pytest.mark.parametrize("path", ["activities/new_channel.py", "gateway/new_route.py", "worker.py"])
def test_side_effect_code_may_read_the_clock(path):
    assert ruff_findings(path) == []
