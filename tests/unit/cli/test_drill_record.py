"""`incident drill run --live` keeps the drill as training: each participant of the on-call policy gets a drill
record in the configured ledger (roles, evaluation, the scorecard), others are named as not recorded, and
`--no-record` records nothing. The scorecard shows the participants and scores Sev0's immediate response."""

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

import cli.drill_cmd
import cli.learning_common
import service.temporal
from cli.drill_render import response_rows, scorecard_markdown
from cli.main import app
from domain.drills.scoring import scorecard
from domain.incident import decisions as d
from domain.incident.severity import Role, Severity
from domain.oncall.readiness import ReadinessFacts, evaluate
from domain.oncall.training import drills_this_quarter
from service import training
from testkit.drills import T0, declared_scenario, worked_incident
from testkit.hostile_text import DRILLS

runner = CliRunner()
WORKED = [(1, d.Acknowledge(by="minsu")), (2, d.AssignRole(role=Role.IC, to="minsu", by="minsu")),
          (3, d.AssignRole(role=Role.COMMS, to="hyunwoo", by="minsu")),
          (4, d.AddNote(text="watching the queue", by="guest-kim"))]


def _live_card(policy, decisions=WORKED):
    state = worked_incident(policy, Severity.SEV1, decisions)
    return scorecard(declared_scenario("sev1"), state, T0, policy, mode="live", speed=10, autoplay=False)


def _run(monkeypatch, ledger, card, *extra: str):
    async def on_the_stack():
        return None

    async def play_live(client, task_queue, request, on_entry):
        return card

    monkeypatch.setattr(service.temporal, "connect", on_the_stack)
    monkeypatch.setattr(cli.drill_cmd, "run_live", play_live)
    monkeypatch.setattr(cli.learning_common, "ledger", lambda: ledger)
    return runner.invoke(app, ["drill", "run", str(DRILLS / "matchmaking-failure-sev1.yaml"), "--live", *extra])


def test_a_live_drill_records_its_participants_as_drill_training(monkeypatch, policy, ledger):
    card = _live_card(policy)
    result = _run(monkeypatch, ledger, card, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["participants"][0]["person"] == "minsu"  # stdout: the scorecard only
    kept = {r.person: r for r in training.records(ledger)}
    assert set(kept) == {"minsu", "hyunwoo"}
    minsu = kept["minsu"]
    assert (minsu.kind, minsu.role, minsu.recorded_by) == ("drill", "ic", "drill")
    assert minsu.evaluation == card.participants[0].evaluation
    # one real minute at ×10 is ten in the scenario
    assert minsu.evaluation.startswith("acknowledged in 10m against the 5m target (over by 5m); ic from T+0:20:00")
    assert minsu.scorecard["incident_id"] == card.incident_id and minsu.scorecard["participants"]
    assert minsu.notes == f"live drill matchmaking (x10), incident {card.incident_id}"
    assert f"recorded drill training #{minsu.id}: minsu (ic): acknowledged in 10m" in result.stderr
    assert "not recorded: guest-kim: not listed under people in the on-call policy" in result.stderr
    # and `incident readiness` has its drill this quarter, naming who played what
    now = datetime.now(UTC)
    report = evaluate(ReadinessFacts(at=now, quarter="now", drills=drills_this_quarter(
        training.records(ledger), now, policy.oncall.rotation.timezone)))
    drill = next(i for i in report.items if i.id == "drill")
    assert drill.passed and drill.why.endswith("participants: hyunwoo (comms), minsu (ic)")


def test_no_record_keeps_the_ledger_as_it_was(monkeypatch, policy, ledger):
    result = _run(monkeypatch, ledger, _live_card(policy), "--no-record")
    assert result.exit_code == 0, result.output
    assert "Not recorded as training (--no-record): minsu, hyunwoo, guest-kim" in result.output
    assert training.records(ledger) == []


def test_no_record_applies_to_live_drills_only():
    result = runner.invoke(app, ["drill", "run", str(DRILLS / "matchmaking-failure-sev1.yaml"), "--no-record"])
    refused = result.exception  # cli.main.run prints it as `error: …` and exits with its code
    assert (str(refused), refused.code) == ("--speed, --autoplay and --no-record only apply with --live", 2)


def test_the_scorecard_shows_participants_and_an_immediate_target(policy):
    state = worked_incident(policy, Severity.SEV0, [(3, d.Acknowledge(by="minsu"))])
    card = scorecard(declared_scenario("sev0"), state, T0, policy, mode="live", autoplay=False)
    assert response_rows(card)[0] == ("time to acknowledge", "T+0:03:00", "immediate (scored within 1m)",
                                      "over by 2m")
    markdown = scorecard_markdown(card)
    assert "| time to acknowledge | T+0:03:00 | immediate (scored within 1m) | over by 2m |" in markdown
    assert "## Participants" in markdown
    assert ("| minsu | - | 1 | T+0:03:00 | T+0:03:00 | acknowledged in 3m against the immediate (scored within 1m) "
            "target (over by 2m); 1 decision, first at T+0:03:00 |") in markdown
