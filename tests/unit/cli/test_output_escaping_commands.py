"""The other commands, run as an operator runs them, with hostile text in what they print (action items,
postmortem drafts, on-call names and override reasons, runbook and drill files): printed literally, Korean
as written, only the escapes, bidi controls and Rich markup around it neutralised (testkit/hostile_text.py)."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import cli.action_cmd
import cli.common
import cli.drill_cmd
import cli.oncall_cmd
import cli.postmortem_cmd
import service.temporal
from adapters.stores.ledger import open_ledger
from adapters.stores.overrides import OverrideStore
from cli.main import app
from domain.incident.records import PostmortemRecord
from domain.incident.severity import Tier
from domain.oncall.rotation import Override
from service import training
from testkit.hostile_text import DRILLS, HOSTILE_NAME, HOSTILE_TITLE, hostile_incident, only_colours_and_literal_text
from testkit.learning import NOW

# Korean must print as written; only the escapes, bidi controls and Rich markup around it are neutralised.
HOSTILE_KOREAN = "결제 실패\x1b[2J [red]긴급[/red]\u202e\x9b"
KOREAN_SHOWN = "결제 실패 [red]긴급[/red]"
TITLE_SHOWN = "[red]Pay[/red] <script>x</script> | a b evil 2J"
# A file someone sent: its name retitles the window, a key clears the screen (problem lines quote keys).
BROKEN_FILE, BROKEN_SHOWN = "broken\x1b]0;pwned\x07[red]x.yaml", "broken[red]x.yaml"
BROKEN_KEY = "\x1b[2J[red]key[/red]\u202e"
BROKEN_PROBLEM = f"{BROKEN_SHOWN}: {BROKEN_KEY!r}: Extra inputs are not permitted"
runner = CliRunner()


def _incident_cli(monkeypatch, *args: str, code: int = 0) -> str:
    """`incident ARGS` in a wide colour terminal (Rich's consoles write to the runner's stdout): what it
    printed on stdout and stderr, once checked to hold no escapes but Rich's own colours."""
    wide = Console(force_terminal=True, width=400)
    monkeypatch.setattr(cli.common, "console", wide)
    monkeypatch.setattr(cli.oncall_cmd, "console", wide)
    monkeypatch.setattr(cli.drill_cmd, "Console", lambda **options: Console(force_terminal=True, width=400, **options))
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return only_colours_and_literal_text(result.output)


def _json_of(*args: str):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class _NoReminderWorkflows:
    """A Temporal client whose action-item workflows have all ended (`incident action done` ignores that)."""

    def get_workflow_handle(self, workflow_id: str) -> "_NoReminderWorkflows":
        return self

    async def signal(self, *args) -> None:
        return None


def test_action_list_and_done_print_hostile_titles_and_owners_literally(monkeypatch, policy, ledger):
    state = hostile_incident(policy)
    ledger.record_incident(state, "fixture", state.detected_at)
    item = ledger.add_action(state.id, HOSTILE_TITLE, HOSTILE_NAME, date(2026, 11, 20), "short", "minsu", NOW)
    ledger.add_action(state.id, HOSTILE_KOREAN, "minsu", date(2026, 11, 21), "mid", "minsu", NOW)
    monkeypatch.setattr(cli.action_cmd, "ledger", lambda: ledger)

    listed = _incident_cli(monkeypatch, "action", "list")
    assert TITLE_SHOWN in listed and "[bold]mallory" in listed and KOREAN_SHOWN in listed
    assert [i["title"] for i in _json_of("action", "list")] == [HOSTILE_TITLE, HOSTILE_KOREAN]  # JSON: as stored

    async def no_reminders():
        return _NoReminderWorkflows()

    monkeypatch.setattr(cli.action_cmd, "connect", no_reminders)
    done = _incident_cli(monkeypatch, "action", "done", str(item.id), "--by", "minsu")
    assert done == f"#{item.id} done by minsu: {TITLE_SHOWN}\n"


def test_postmortem_show_prints_an_edited_draft_literally(monkeypatch, policy, ledger, tmp_path):
    state = hostile_incident(policy)
    ledger.record_incident(state, "fixture", state.detected_at)
    draft = tmp_path / f"{state.id}.md"
    written = f"# Postmortem: {HOSTILE_TITLE}\n\n## 영향\n{HOSTILE_KOREAN}\n\tby {HOSTILE_NAME}\n"
    draft.write_text(written, encoding="utf-8")
    ledger.save_draft(PostmortemRecord(incident_id=state.id, deadline=NOW, drafted_at=NOW, path=str(draft),
                                       markdown="# the draft as first written"))
    monkeypatch.setattr(cli.postmortem_cmd, "ledger", lambda: ledger)

    shown = _incident_cli(monkeypatch, "postmortem", "show", state.id)
    assert shown == ("# Postmortem: [red]Pay[/red] <script>x</script> | a\nb evil 2J\n\n## 영향\n"
                     f"{KOREAN_SHOWN}\n\tby [bold]mallory\n\n")  # its lines and indentation kept
    assert _json_of("postmortem", "show", state.id)["markdown"] == "# the draft as first written"


@pytest.fixture
def hostile_oncall(monkeypatch, policy, ledger_url, tmp_path):
    """minsu renamed `HOSTILE_NAME` in the policy, and on call as primary now by an override whose reason is
    `HOSTILE_KOREAN` (the override store takes reasons from Slack and scripts too)."""
    minsu = policy.oncall.people["minsu"].model_copy(update={"name": HOSTILE_NAME})
    people = {**policy.oncall.people, "minsu": minsu}
    hostile = policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"people": people})})
    store = OverrideStore(tmp_path, url=ledger_url)
    now = datetime.now(UTC)
    store.add(Override(tier=Tier.PRIMARY, who="minsu", start=now - timedelta(hours=1), end=now + timedelta(hours=1),
                       reason=HOSTILE_KOREAN))
    training.record(open_ledger(ledger_url), hostile, person="minsu", kind="onboarding", by="sre-lead")
    monkeypatch.setattr(cli.oncall_cmd, "_policy", lambda: hostile)
    monkeypatch.setattr(cli.oncall_cmd, "_store", lambda: store)
    return now


def test_oncall_now_schedule_and_overrides_print_names_and_reasons_literally(monkeypatch, hostile_oncall):
    now_ = _incident_cli(monkeypatch, "oncall", "now")
    assert "[bold]mallory (minsu)" in now_ and f"override: {KOREAN_SHOWN}" in now_
    schedule = _incident_cli(monkeypatch, "oncall", "schedule", "--weeks", "1", "--from",
                             (hostile_oncall - timedelta(hours=2)).isoformat())
    assert "[bold]mallory (minsu)" in schedule and f"override: {KOREAN_SHOWN}" in schedule
    listed = _incident_cli(monkeypatch, "oncall", "overrides")
    assert "primary   [bold]mallory (minsu)" in listed and listed.rstrip("\n").endswith(KOREAN_SHOWN)
    assert _json_of("oncall", "overrides")[0]["reason"] == HOSTILE_KOREAN


def test_oncall_override_echoes_a_hostile_reason_literally(monkeypatch, hostile_oncall):
    start = hostile_oncall + timedelta(days=1)
    added = _incident_cli(monkeypatch, "oncall", "override", "--tier", "secondary", "--who", "minsu",
                          "--from", start.isoformat(), "--to", (start + timedelta(hours=8)).isoformat(),
                          "--reason", HOSTILE_TITLE)
    assert "is held by [bold]mallory (minsu)" in added and added.endswith(f": {TITLE_SHOWN}\n")


def _write_yaml(path: Path, document: dict) -> Path:
    """YAML escapes what it cannot show ("\\e[2J"), as a runbook or scenario file someone sent would."""
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _hostile_runbooks(directory: Path) -> Path:
    directory.mkdir()
    steps = [{"id": "look", "kind": "http", "with": {"method": "GET", "url": "/health/\x1b]0;pwned\x07[red]x"}}]
    _write_yaml(directory / "hostile.yaml", {"name": "hostile", "description": HOSTILE_TITLE,
                                             "match": {"labels": {"alertname": HOSTILE_KOREAN}}, "steps": steps})
    _write_yaml(directory / BROKEN_FILE, {"name": "broken", "description": "d", "steps": steps, BROKEN_KEY: 1})
    return directory


def test_runbook_list_check_and_dry_run_print_file_text_literally(monkeypatch, tmp_path):
    runbooks = _hostile_runbooks(tmp_path / "runbooks")
    listed = _incident_cli(monkeypatch, "runbook", "list", str(runbooks))
    assert f"hostile: {TITLE_SHOWN}" in listed and f"match: alertname={KOREAN_SHOWN}" in listed
    assert f"problem: {runbooks / BROKEN_PROBLEM}\n" in listed
    checked = _incident_cli(monkeypatch, "runbook", "check", str(runbooks), code=2)
    assert checked == f"{runbooks / BROKEN_PROBLEM}\n"

    (runbooks / BROKEN_FILE).unlink()
    alert = _write_yaml(tmp_path / "alert.yaml", {"labels": {"alertname": "Other", "service": "pay"}})
    plan = _incident_cli(monkeypatch, "runbook", "dry-run", "hostile", "--alert", str(alert), "--dir", str(runbooks))
    assert f"would not start by itself for this alert (alertname={KOREAN_SHOWN})" in plan
    assert f"runbook hostile: {TITLE_SHOWN}\n" in plan and "GET admin_api:/health/[red]x" in plan
    assert _json_of("runbook", "list", str(runbooks))[0]["description"] == HOSTILE_TITLE


def _hostile_scenarios(directory: Path) -> Path:
    """The friends-list drill with a hostile alert name, beside a broken one with a hostile key."""
    directory.mkdir()
    scenario = yaml.safe_load((DRILLS / "friends-list-sev2.yaml").read_text(encoding="utf-8"))
    scenario["description"] = HOSTILE_TITLE
    scenario["start"]["alert"]["labels"]["alertname"] = HOSTILE_KOREAN
    scenario["events"][3]["alert_resolved"]["alertname"] = HOSTILE_KOREAN
    _write_yaml(directory / "friends-list-sev2.yaml", scenario)
    _write_yaml(directory / BROKEN_FILE, {**scenario, "name": "broken", BROKEN_KEY: 1})
    return directory


def test_drill_list_prints_scenario_text_literally(monkeypatch, tmp_path):
    drills = _hostile_scenarios(tmp_path / "drills\x1b[2J\u202e")
    listed = _incident_cli(monkeypatch, "drill", "list", str(drills), code=2)
    shown = tmp_path / "drills"
    assert f"Drills in {shown}" in listed and f"{shown / 'friends-list-sev2.yaml'}" in listed
    assert f"alert {KOREAN_SHOWN}" in listed and f"{shown / BROKEN_PROBLEM}\n" in listed
    assert _json_of("drill", "list", str(drills / "friends-list-sev2.yaml"))[0]["description"] == HOSTILE_TITLE


def test_live_drill_commentary_prints_scenario_and_timeline_text_literally(monkeypatch, policy, tmp_path,
                                                                           hostile_scorecard):
    drills = _hostile_scenarios(tmp_path / "drills")
    (drills / BROKEN_FILE).unlink()
    state = hostile_incident(policy)
    state.note(state.detected_at + timedelta(minutes=2), "note", HOSTILE_NAME, f"{HOSTILE_KOREAN}\nline two")

    async def on_the_stack():
        return None

    async def play_live(client, task_queue, request, on_entry):
        for index in range(len(state.timeline)):
            on_entry(state, index)
        return hostile_scorecard

    monkeypatch.setattr(service.temporal, "connect", on_the_stack)
    monkeypatch.setattr(cli.drill_cmd, "run_live", play_live)
    shown = _incident_cli(monkeypatch, "drill", "run", str(drills / "friends-list-sev2.yaml"), "--live",
                          "--autoplay", code=0 if hostile_scorecard.passed else 1)
    assert f"alert resolved: alertname={KOREAN_SHOWN}" in shown
    assert "acknowledged by [bold]mallory" in shown or "[bold]mallory acknowledged" in shown
    assert f"note           [bold]mallory {KOREAN_SHOWN} line two" in shown
