"""A malformed setting stops every entry point (the `incident` CLI, `python -m worker`, `incident gateway`) with
one line on stderr that names the variable and the problem, exit 2, instead of pydantic's traceback."""

import os
import subprocess
import sys

import pytest

ENTRY_POINTS = {
    "incident list": ["-m", "cli.main", "list"],
    "python -m worker": ["-m", "worker"],
    "incident gateway": ["-m", "cli.main", "gateway", "--port", "0"],
    "incident dev": ["-m", "cli.main", "dev", "--data-dir", "dev-data"],
}


def _run(args: list[str], cwd, **settings: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCIDENTFLOW_RUNBOOK")}
    return subprocess.run([sys.executable, *args], cwd=cwd, env={**env, **settings}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_malformed_json_setting_is_one_line_naming_the_variable(entry, tmp_path):
    result = _run(ENTRY_POINTS[entry], tmp_path, INCIDENTFLOW_RUNBOOK_ENDPOINTS="{bad")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "error: INCIDENTFLOW_RUNBOOK_ENDPOINTS is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"]
    assert not (tmp_path / "dev-data").exists()  # nothing started


def test_a_wrong_type_names_the_variable_and_never_echoes_the_value(tmp_path):
    result = _run(ENTRY_POINTS["incident list"], tmp_path, INCIDENTFLOW_METRICS_PORT="hunter2",
                  INCIDENTFLOW_RUNBOOK_ENDPOINTS='{"admin_api": 8090}')
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: INCIDENTFLOW_RUNBOOK_ENDPOINTS (key 'admin_api'): Input should be a valid string; "
        "INCIDENTFLOW_METRICS_PORT: Input should be a valid integer, unable to parse string as an integer"]
    assert "hunter2" not in result.stderr


def test_a_malformed_setting_in_dot_env_says_so(tmp_path):
    (tmp_path / ".env").write_text("INCIDENTFLOW_RUNBOOK_ENDPOINTS={bad\n", encoding="utf-8")
    result = _run(ENTRY_POINTS["python -m worker"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: INCIDENTFLOW_RUNBOOK_ENDPOINTS (in .env) is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"]
