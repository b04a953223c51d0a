"""`incident readiness` against real servers on loopback (docs/oncall.md, "Readiness"): the fake Slack Web API
answers `auth.test` through slack-sdk, fake PagerDuty, Prometheus and admin API answer a GET, and with everyone
onboarded and a drill this quarter the stack is ready (exit 0); a dead Prometheus port fails the tools item,
naming the URL and why (exit 1). `--json` is the same report as `GET /api/readiness`."""

import json

import pytest
from typer.testing import CliRunner

from cli.fake_gameops import FakePrometheus, GameOps, create_admin_api, create_prometheus_api
from cli.main import app
from settings import get_settings
from testkit.comms import PD_KEY
from testkit.environment import free_port
from testkit.fakes.server import ServedApp
from testkit.fakes.slack_api import TOKEN

runner = CliRunner()
ROTATION = ("minsu", "jiyoung", "hyunwoo", "seoyeon", "sre-lead", "cto")


@pytest.fixture
def tools(slack, pagerduty):
    with ServedApp(create_prometheus_api(FakePrometheus())) as prometheus, \
            ServedApp(create_admin_api(GameOps())) as admin_api:
        yield {"slack": slack, "pagerduty": pagerduty, "prometheus": prometheus.url, "admin_api": admin_api.url}


@pytest.fixture
def incident(tmp_path, tools):
    """`incident ARGS` with the settings of a stack whose tools are the fakes; returns (exit code, output)."""
    env = {"INCIDENTFLOW_DATA_DIR": str(tmp_path), "INCIDENTFLOW_SLACK_BOT_TOKEN": TOKEN,
           "INCIDENTFLOW_SLACK_API_URL": tools["slack"].api_url, "INCIDENTFLOW_PAGERDUTY_ROUTING_KEY": PD_KEY,
           "INCIDENTFLOW_PAGERDUTY_EVENTS_URL": tools["pagerduty"].events_url,
           "INCIDENTFLOW_RUNBOOK_ENDPOINTS": json.dumps({"prometheus": tools["prometheus"],
                                                         "admin_api": tools["admin_api"]})}

    def run(*args: str, extra: dict | None = None) -> tuple[int, str]:
        get_settings.cache_clear()
        try:
            result = runner.invoke(app, list(args), env={**env, **(extra or {})})
        finally:
            get_settings.cache_clear()
        return result.exit_code, result.output

    return run


def items_of(output: str) -> dict[str, dict]:
    return {i["id"]: i for i in json.loads(output)["items"]}


def test_a_trained_team_with_reachable_tools_and_a_drill_is_ready(incident, tools, tmp_path):
    code, output = incident("readiness", "--json")
    assert code == 1
    report = items_of(output)
    assert report["training"]["why"].startswith("minsu: no onboarding recorded")
    assert report["drill"]["why"] == "no drill recorded this quarter"
    assert report["tools"]["passed"], report["tools"]

    for person in ROTATION:
        assert incident("training", "record", person, "onboarding", "--by", "sre-lead")[0] == 0
    card = tmp_path / "scorecard.json"
    card.write_text(json.dumps({"name": "sev1-matchmaking", "incident_id": "drill-mm-1", "passed": True}))
    assert incident("training", "record", "minsu", "drill", "--hours", "1.5", "--role", "ic", "--scorecard",
                    str(card), "--evaluation", "calm, declared in 3 min", "--by", "sre-lead")[0] == 0
    listed = json.loads(incident("training", "list", "--person", "minsu", "--json")[1])
    assert [(r["kind"], r["role"], (r["scorecard"] or {}).get("name")) for r in listed] == [
        ("onboarding", None, None), ("drill", "ic", "sev1-matchmaking")]
    code, output = incident("readiness")
    assert code == 0, output
    assert output.rstrip().endswith("\nready")
    assert "pass  Tools configured and reachable: slack: auth.test ok (incidentflow in Game)" in output
    assert f"runbook endpoint prometheus: GET {tools['prometheus']}: HTTP 404" in output
    assert "pass  A drill this quarter" in output and "participants: minsu (ic)" in output
    assert tools["slack"].calls_of("auth.test")


def test_a_dead_prometheus_port_fails_with_the_reason(incident, tools):
    dead = f"http://127.0.0.1:{free_port()}"
    endpoints = json.dumps({"prometheus": dead, "admin_api": tools["admin_api"]})
    code, output = incident("readiness", "--json", extra={"INCIDENTFLOW_RUNBOOK_ENDPOINTS": endpoints})
    assert code == 1
    tools_item = items_of(output)["tools"]
    assert not tools_item["passed"]
    assert f"runbook endpoint prometheus: GET {dead}: unreachable (ConnectError" in tools_item["why"]
    assert "admin_api" not in tools_item["why"]  # only what fails is listed


def test_a_refused_slack_token_and_an_unknown_option(incident):
    code, output = incident("readiness", "--json", extra={"INCIDENTFLOW_SLACK_BOT_TOKEN": "xoxb-wrong"})
    assert code == 1 and "slack: auth.test refused: invalid_auth" in items_of(output)["tools"]["why"]
    assert incident("readiness", "--nonsense")[0] == 2
