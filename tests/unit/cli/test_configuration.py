"""One settings model, one table in docs/configuration.md, `incident config show` with secrets masked."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cli.config_table import env_names, replace_table, rows
from settings import Settings
from testkit.environment import PROJECT

ROOT = PROJECT
DOC = ROOT / "docs" / "configuration.md"


def test_the_documented_table_is_the_model():
    document = DOC.read_text(encoding="utf-8")
    assert replace_table(document) == document, \
        "docs/configuration.md is out of date: run `incident config table --write docs/configuration.md`"
    for name, field in Settings.model_fields.items():
        for env in env_names(name, field):
            assert f"`{env}`" in document, env


def test_every_setting_says_what_it_is_for():
    undocumented = [row["setting"] for row in rows() if not row["description"]]
    assert not undocumented, f"add a Field(description=…) to {undocumented} in settings.py"


def config(env: dict, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "config", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_config_show_masks_secrets_and_says_where_values_come_from(tmp_path):
    (tmp_path / ".env").write_text("INCIDENTFLOW_SLACK_SIGNING_SECRET=from-dotenv-signing\n"
                                   "INCIDENTFLOW_TASK_QUEUE=from-dotenv-queue\n", encoding="utf-8")
    secrets = {"INCIDENTFLOW_API_TOKEN": "tok-abc123,tok-def456", "INCIDENTFLOW_SLACK_BOT_TOKEN": "xoxb-very-secret",
               "INCIDENTFLOW_PAGERDUTY_ROUTING_KEY": "R0UT1NGKEY"}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTFLOW_", "OTEL_"))},
           "PYTHONPATH": str(ROOT), **secrets,
           "INCIDENTFLOW_DATABASE_URL": "postgresql+psycopg://incidentflow:hunter2@db:5432/incidentflow",
           "TEMPORAL_ADDRESS": "temporal.prod:7233"}
    result = config(env, "show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for secret in [*secrets.values(), "hunter2", "from-dotenv-signing", "tok-abc123"]:
        assert secret not in result.stdout
    lines = {line.split("=", 1)[0]: line for line in result.stdout.splitlines()}
    assert set(lines) >= {names[0] for names in (env_names(k, f) for k, f in Settings.model_fields.items())}
    assert lines["INCIDENTFLOW_API_TOKEN"].split() == ["INCIDENTFLOW_API_TOKEN=********", "#", "environment"]
    assert lines["INCIDENTFLOW_SLACK_SIGNING_SECRET"].split() == ["INCIDENTFLOW_SLACK_SIGNING_SECRET=********", "#",
                                                                  ".env"]
    assert lines["INCIDENTFLOW_GRAFANA_HMAC_SECRET"].split() == ["INCIDENTFLOW_GRAFANA_HMAC_SECRET=", "#", "default"]
    assert "postgresql+psycopg://incidentflow:********@db:5432/incidentflow" in lines["INCIDENTFLOW_DATABASE_URL"]
    assert lines["TEMPORAL_ADDRESS"].startswith("TEMPORAL_ADDRESS=temporal.prod:7233 ")
    assert lines["INCIDENTFLOW_TASK_QUEUE"].split() == ["INCIDENTFLOW_TASK_QUEUE=from-dotenv-queue", "#", ".env"]

    shown = json.loads(config(env, "show", "--json", cwd=tmp_path).stdout)
    assert shown["slack_bot_token"] == {"env": ["INCIDENTFLOW_SLACK_BOT_TOKEN"], "value": "********",
                                        "source": "environment", "secret": True}
    assert shown["metrics_port"]["value"] == "9464" and shown["metrics_port"]["source"] == "default"


def test_a_bad_value_names_its_variable(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INCIDENTFLOW_METRICS_PORT": "ninety"}
    result = config(env, "show", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid configuration: INCIDENTFLOW_METRICS_PORT: ")
    assert "'ninety'" in result.stderr and "Traceback" not in result.stderr


def test_config_show_masks_the_direct_channels_secrets(tmp_path):
    secrets = {"INCIDENTFLOW_SMTP_PASSWORD": "smtp-hunter2", "INCIDENTFLOW_TWILIO_AUTH_TOKEN": "twilio-tok-123",
               "INCIDENTFLOW_APPRISE_URLS": "tgram://bottoken123/chat mmost://host/hooktoken456",
               "INCIDENTFLOW_WEBHOOK_SECRET": "whsec_c2VjcmV0c2VjcmV0"}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTFLOW_", "OTEL_"))},
           "PYTHONPATH": str(ROOT), **secrets, "INCIDENTFLOW_SMTP_HOST": "smtp.example",
           "INCIDENTFLOW_WEBHOOK_URL": "https://hooks:pa55@receiver.example/incidents"}
    result = config(env, "show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for secret in [*secrets.values(), "bottoken123", "hooktoken456", "pa55"]:
        assert secret not in result.stdout, secret
    lines = {line.split("=", 1)[0]: line for line in result.stdout.splitlines()}
    for name in secrets:
        assert lines[name].split() == [f"{name}=********", "#", "environment"]
    assert lines["INCIDENTFLOW_SMTP_HOST"].startswith("INCIDENTFLOW_SMTP_HOST=smtp.example ")
    assert "https://hooks:********@receiver.example/incidents" in lines["INCIDENTFLOW_WEBHOOK_URL"]
