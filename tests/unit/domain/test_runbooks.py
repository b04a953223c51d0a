"""Runbook files: `incident runbook check|list|dry-run`, input validation against hostile labels, the JSON
Schema, and the command executor's allow-list (real subprocesses, no shell)."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.remediation import ActionRequest, RemediationActivities
from adapters.runbook_files import load_runbooks
from cli.main import app
from domain.incident.severity import Severity
from domain.incident.state import Alert, IncidentState
from domain.runbooks.inputs import RunbookError, resolve_inputs
from domain.runbooks.plan import ResolvedAction
from domain.runbooks.schema import runbook_json_schema
from testkit.environment import PROJECT

RUNBOOKS = PROJECT / "runbooks"
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


def test_every_shipped_runbook_passes_check():
    result = cli("runbook", "check", str(RUNBOOKS))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ok (6 runbooks)"
    names = {r.name for r in load_runbooks(RUNBOOKS).runbooks}
    assert names == {"game-server-fleet-down", "db-connections-exhausted", "matchmaking-failure", "payment-errors",
                     "leaderboard-errors", "high-latency"}


DRY_RUNS = {
    "game-server-fleet-down": (
        {"alertname": "GameServerFleetDown", "service": "game-servers", "severity": "critical"},
        ["inputs: fleet=game-servers",
         "1. check-fleet-health [http; runs at once; on failure: continue]",
         "3. restart-fleet [restart; approval required; on failure: rollback]",
         "     do:       restart: POST admin_api:/services/game-servers/restart",
         "     verify:   GET admin_api:/services/game-servers/health (within 300s, every 15s)"]),
    "db-connections-exhausted": (
        {"alertname": "DatabaseConnectionsExhausted", "database": "accounts-db", "service": "accounts"},
        ["inputs: database=accounts-db",
         "     do:       write_block: PUT admin_api:/databases/accounts-db/write-block {'enabled': True}",
         "     rollback: undo write_block: PUT admin_api:/databases/accounts-db/write-block {'enabled': False}",
         "     do:       PUT admin_api:/databases/accounts-db/pool {'max_connections': 400}",
         "3. scale-connection-pool [http; approval required; on failure: abort]"]),
    "matchmaking-failure": (
        {"alertname": "MatchmakingQueueStalled", "service": "matchmaking", "severity": "critical"},
        ["     do:       feature_flag: PUT admin_api:/flags/new-matcher {'enabled': False}",
         "     rollback: undo feature_flag: PUT admin_api:/flags/new-matcher {'enabled': True}",
         "3. rollback-deploy [rollback; approval required; on failure: rollback, only if disable-new-matcher failed]",
         "     do:       rollback: POST admin_api:/services/matchmaking/rollback"]),
    "payment-errors": (
        {"alertname": "PaymentErrors", "service": "payments", "severity": "critical"},
        ["     do:       PUT admin_api:/payments/provider {'provider': 'backup'}",
         "     rollback: PUT admin_api:/payments/provider {'provider': 'primary'}",
         "2. switch-provider [http; approval required; on failure: continue]"]),
    "leaderboard-errors": (
        {"alertname": "LeaderboardErrors", "service": "leaderboard", "severity": "warning"},
        ["     do:       POST admin_api:/caches/leaderboard/flush",
         "2. flush-cache [http; approval required; on failure: rollback]"]),
    "high-latency": (
        {"alertname": "ApiHighLatency", "service": "game-api", "severity": "warning"},
        ["     do:       rate_limit: PUT admin_api:/services/game-api/rate-limit {'requests_per_second': 500}",
         "     rollback: undo rate_limit: DELETE admin_api:/services/game-api/rate-limit",
         "     rollback: scale: PUT admin_api:/services/game-api/replicas {'replicas': 6}"]),
}


@pytest.mark.parametrize("name", sorted(DRY_RUNS))
def test_dry_run_of_each_shipped_runbook_prints_the_resolved_plan(name, tmp_path):
    labels, expected = DRY_RUNS[name]
    alert = tmp_path / "alert.json"
    alert.write_text(json.dumps({"status": "firing", "alerts": [{"status": "firing", "labels": labels,
                                                                  "annotations": {"summary": "x"}}]}))
    result = cli("runbook", "dry-run", name, "--alert", str(alert), "--dir", str(RUNBOOKS))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"runbook {name}: ")
    assert not any(line.startswith("note:") for line in lines)  # the example alert matches the runbook
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{result.output}"
    assert lines[-1] == "(dry run: nothing was called)"


def test_dry_run_as_json_and_by_file_path(tmp_path):
    alert = tmp_path / "alert.yaml"
    alert.write_text("labels: {alertname: PaymentErrors, service: payments}\n")
    result = cli("runbook", "dry-run", str(RUNBOOKS / "payment-errors.yaml"), "--alert", str(alert), "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["inputs"] == {"service": "payments"}
    assert [s["id"] for s in plan["steps"]] == ["check-error-rate", "switch-provider", "rollback-deploy"]
    assert plan["steps"][1]["approval"] is True and plan["steps"][0]["approval"] is False


HOSTILE = ["x; rm -rf /", "$(reboot)", "`id`", "a b", "../etc", "x\nPOST /admin", "x|nc evil 1", "{{ fleet }}", "'"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_label_values_fail_input_validation(value):
    runbook = next(r for r in load_runbooks(RUNBOOKS).runbooks if r.name == "game-server-fleet-down")
    now = datetime.now(UTC)
    state = IncidentState(
        id="i1", title="t", service="game-servers", severity=Severity.SEV0, declared_by="am", started_at=now,
        detected_at=now, alerts={"f": Alert(fingerprint="f", labels={"alertname": "GameServerDown", "service": value})},
    )
    with pytest.raises(RunbookError) as refused:
        resolve_inputs(runbook, state)
    assert refused.value.problems[0].startswith("input fleet: label:service value ")


def test_dry_run_refuses_a_hostile_alert(tmp_path):
    alert = tmp_path / "alert.json"
    alert.write_text(json.dumps({"labels": {"alertname": "GameServerDown", "service": "x; rm -rf /"}}))
    result = cli("runbook", "dry-run", "game-server-fleet-down", "--alert", str(alert), "--dir", str(RUNBOOKS))
    assert result.exit_code == 1
    assert result.output.startswith("refused: input fleet: label:service value 'x; rm -rf /' contains characters")


def test_check_reports_each_problem_as_file_path_reason(tmp_path):
    (tmp_path / "allowlist.yaml").write_text("executables: [bin/ok]\n")
    (tmp_path / "bad.yaml").write_text("""
name: bad
description: broken on purpose
inputs:
  svc: {from: label:service, pattern: '^[a-z]+$'}
  loose: {from: label:x}
steps:
  - id: s1
    kind: http
    with: {method: POST, url: "/services/{{ nope }}/restart"}
  - id: s2
    kind: restart
    with: {}
""")
    (tmp_path / "cmd.yaml").write_text("""
name: cmd
description: command outside the allow-list
steps:
  - {id: c1, kind: command, with: {argv: [/bin/rm, -rf, /tmp/x]}}
""")
    (tmp_path / "yaml.yaml").write_text("name: [unclosed\n")
    result = cli("runbook", "check", str(tmp_path))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    bad, cmd, broken = (str(tmp_path / n) for n in ("bad.yaml", "cmd.yaml", "yaml.yaml"))
    assert f"{bad}: inputs.loose.pattern: Field required" in lines
    assert f"{bad}: steps.1: with.service: Field required" in lines
    assert f"{cmd}: steps.0.with.argv.0: '/bin/rm' is not in allowlist.yaml" in lines
    assert any(line.startswith(f"{broken}: line 2: invalid YAML") for line in lines)


def test_templates_may_only_name_declared_inputs(tmp_path):
    (tmp_path / "t.yaml").write_text("""
name: t
description: undeclared template
steps:
  - {id: s1, kind: http, with: {method: POST, url: "/services/{{ nope }}/restart"}}
""")
    result = cli("runbook", "check", str(tmp_path))
    assert result.exit_code == 2
    expected = f"{tmp_path / 't.yaml'}: (top): step s1: url: {{{{ nope }}}} is not a declared input"
    assert result.output.strip() == expected


def test_published_json_schema_is_current():
    published = json.loads((RUNBOOKS / "schema" / "runbook.schema.json").read_text(encoding="utf-8"))
    current = json.loads(json.dumps(runbook_json_schema()))
    assert published == current, "run `incident runbook schema --out runbooks/schema`"


# ── the command executor ───────────────────────────────────────────────────────────────────────────
def _command_request(directory: Path, argv: list[str]) -> ActionRequest:
    action = ResolvedAction(kind="command", summary="run", timeout_seconds=10, retries=0, argv=argv)
    return ActionRequest(key="incident-i1/runbook/r/1/s1", incident_id="i1", step="s1", purpose="step",
                         action=action, directory=str(directory))


async def test_command_runs_allowlisted_executable_with_argv_and_no_shell(tmp_path):
    script = tmp_path / "bin" / "record"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nimport os, sys\n"
                      "open(os.path.join(os.getcwd(), 'out.txt'), 'w').write(repr(sys.argv[1:]) + ' ' + "
                      "os.environ['INCIDENTFLOW_IDEMPOTENCY_KEY'])\nprint('recorded')\n")
    script.chmod(0o755)
    (tmp_path / "allowlist.yaml").write_text("executables: [bin/record]\n")
    outcome = await ActivityEnvironment().run(RemediationActivities({}).run_action,
                                              _command_request(tmp_path, ["bin/record", "a;b", "$(id)"]))
    assert outcome.ok and outcome.detail == "bin/record exited 0: recorded"
    # metacharacters arrive as plain argv strings: nothing was interpreted by a shell
    assert (tmp_path / "out.txt").read_text() == "['a;b', '$(id)'] incident-i1/runbook/r/1/s1"


async def test_command_outside_the_allowlist_is_refused(tmp_path):
    (tmp_path / "allowlist.yaml").write_text("executables: []\n")
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(RemediationActivities({}).run_action,
                                        _command_request(tmp_path, ["/bin/touch", str(tmp_path / "x")]))
    assert refused.value.type == "NotAllowed" and refused.value.non_retryable
    assert not (tmp_path / "x").exists()
