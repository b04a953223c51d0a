"""Drills: the shipped scenarios pass under the shipped policy, through the real IncidentWorkflow, paging
nobody real; bad scenarios fail with exit 1 / 2 and say why; a live drill matches the instant run; a live drill
people work by hand names them with their roles and is archived as their drill training."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from cli.drill_cmd import schema_document
from cli.drill_runner import load_all, load_scenario, new_incident_id
from domain.drills.compression import compress_policy
from domain.drills.playback import DrillRequest
from domain.drills.scenario import Scenario, describe_scenario_errors
from domain.incident import decisions as d
from domain.incident.severity import Role
from domain.oncall.readiness import ReadinessFacts, evaluate
from domain.oncall.training import drills_this_quarter
from service import training
from service.decisions import decide
from service.drills import archive, play, run_live, start_drill
from testkit.environment import PROJECT
from testkit.helpers import running_worker

DRILLS = PROJECT / "drills"
INCIDENT = str(Path(sys.executable).parent / "incident")


def _cli(*args: str, cwd: Path = PROJECT, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([INCIDENT, *args], cwd=cwd, capture_output=True, text=True, timeout=240,
                          env={**os.environ, **env})


async def test_shipped_scenarios_pass_and_page_nobody_real(time_env, task_queue, recorder):
    items, problems = load_all(DRILLS)
    assert problems == []
    assert len(items) >= 6
    async with running_worker(time_env.client, task_queue, recorder):
        for item in items:
            card = await play(time_env.client, task_queue, DrillRequest(
                scenario=item.scenario, incident_id=new_incident_id(item.scenario.name), policy_dir=item.policy_dir))
            failed = [e for e in card.expectations if not e.passed]
            assert card.passed, f"{item.path.name}: {failed}"
            assert card.pages, item.path.name
    # The worker's real (recording) channel saw nothing: drill pages went to the drill transcript.
    assert recorder.read() == []


async def test_payment_drill_scorecard(time_env, task_queue, recorder):
    item = load_scenario(DRILLS / "payment-outage-unanswered.yaml")
    async with running_worker(time_env.client, task_queue, recorder):
        card = await play(time_env.client, task_queue, DrillRequest(
            scenario=item.scenario, incident_id=new_incident_id("pay"), policy_dir=item.policy_dir))
    assert [(p.tier.value, p.target, round(p.at_seconds)) for p in card.pages] == [
        ("primary", "alice", 0), ("secondary", "bob", 300)]
    assert [(e.rule, round(e.at_seconds), e.paged) for e in card.escalations] == [
        ("ack-timeout", 300, True), ("sev1-15m", 900, False)]
    assert round(card.mtta_seconds) == 420 and round(card.mttr_seconds) == 1500
    assert [p.phase.value for p in card.phases] == ["detected", "triaged", "mitigated", "resolved"]
    assert card.targets.ack_seconds == 300
    assert next(c for c in card.checklist if c.item == "ic-named").done_at_seconds == pytest.approx(480, abs=2)


def test_wrong_expectation_exits_1_and_says_which(tmp_path):
    text = (DRILLS / "payment-outage-unanswered.yaml").read_text().replace(
        "{tier: secondary, target: bob, at: 5m}", "{tier: secondary, target: bob, at: 6m}")
    (tmp_path / "wrong.yaml").write_text(text)
    result = _cli("drill", "run", str(tmp_path / "wrong.yaml"), "--json")
    assert result.returncode == 1, result.stderr
    card = json.loads(result.stdout)
    failed = [e for e in card["expectations"] if not e["passed"]]
    assert {"what": "page", "expected": "secondary bob at 6m", "actual": "secondary bob at 5m",
            "passed": False} in failed
    assert {"name", "passed", "pages", "escalations", "phases", "mtta_seconds", "mttr_seconds", "checklist",
            "timeline", "expectations"} <= card.keys()


@pytest.mark.parametrize(("edit", "message"), [
    (("do: acknowledge\n    by: bob", "do: ack\n    by: bob"), "events.0.do: unknown decision kind 'ack'"),
    (("do: acknowledge\n    by: bob", "do: acknowledge"), "events.0.by: Field required"),
    (("at: 7m", "at: soon"), "events.0.at: invalid duration 'soon'"),
    (("name: payment-outage-unanswered", "name: Payment Outage"), "name: String should match pattern"),
])
def test_malformed_scenario_exits_2_with_precise_message(tmp_path, edit, message):
    text = (DRILLS / "payment-outage-unanswered.yaml").read_text()
    assert edit[0] in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    result = _cli("drill", "run", str(path))
    assert result.returncode == 2
    assert f"{path}: {message}" in result.stderr


def test_decision_errors_point_at_the_event_field():
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate({"name": "x", "start": {"declare": {"service": "s", "severity": "sev1",
                                                                   "title": "t", "by": "a"}},
                                 "events": [{"at": "1m", "do": "assign_role", "role": "boss", "to": "b", "by": "a"}]})
    lines = describe_scenario_errors("f.yaml", caught.value)
    assert lines == ["f.yaml: events.0.role: Input should be 'ic', 'ops', 'comms', 'liaison' or 'scribe'"]


def test_published_schema_is_current():
    published = json.loads((DRILLS / "schema" / "scenario.schema.json").read_text())
    assert published == schema_document()


def test_live_clock_compression_scales_incident_clocks_not_the_rotation(policy):
    fast = compress_policy(policy, 60)
    for severity, level in policy.incident.severities.items():
        assert fast.severity(severity).response_time == level.response_time / 60
    assert [r.after for r in fast.oncall.escalation.rules] == [r.after / 60 for r in policy.oncall.escalation.rules]
    assert fast.incident.communication.internal_update_every == timedelta(seconds=15)
    assert fast.oncall.rotation == policy.oncall.rotation


@pytest.mark.slow
async def test_live_drill_on_dev_server_pages_like_the_instant_run(dev_client, time_env, task_queue, recorder):
    item = load_scenario(DRILLS / "payment-outage-unanswered.yaml")
    async with running_worker(time_env.client, task_queue, recorder):
        instant = await play(time_env.client, task_queue, DrillRequest(
            scenario=item.scenario, incident_id=new_incident_id("inst"), policy_dir=item.policy_dir))
    speed = 60
    async with running_worker(dev_client, task_queue, recorder):
        live = await run_live(dev_client, task_queue, DrillRequest(
            scenario=item.scenario, incident_id=new_incident_id("live"), policy_dir=item.policy_dir, speed=speed,
            live=True, autoplay_decisions=True))
    assert [(p.tier, p.target) for p in live.pages] == [(p.tier, p.target) for p in instant.pages]
    for a, b in zip(live.pages, instant.pages, strict=True):
        assert abs(a.at_seconds - b.at_seconds) <= 2 * speed
    assert live.mode == "live" and live.passed, [e for e in live.expectations if not e.passed]
    assert recorder.read() == []


async def test_a_live_drill_people_work_is_archived_as_their_training(time_env, task_queue, recorder, ledger, policy):
    """Autoplay off: the Sev0 scenario's alert and clock run, and the people decide through the service layer."""
    item = load_scenario(DRILLS / "game-server-down-sev0.yaml")
    request = DrillRequest(scenario=item.scenario, incident_id=new_incident_id("people"),
                           policy_dir=item.policy_dir, live=True, autoplay_decisions=False)
    people = [(40, d.Acknowledge(by="minsu")), (60, d.AssignRole(role=Role.IC, to="minsu", by="minsu")),
              (120, d.AssignRole(role=Role.OPS, to="jiyoung", by="minsu")),
              (150, d.AssignRole(role=Role.COMMS, to="sre-lead", by="minsu")),
              (200, d.CheckItem(item="rollback-checked", by="jiyoung")),
              (240, d.PostUpdate(status="identified", message="rolling back the fleet config", by="sre-lead")),
              (300, d.AddNote(text="shadowing the IC", by="intern-lee")),
              (360, d.StartMitigation(by="jiyoung"))]
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_drill(time_env.client, task_queue, request)
        elapsed = 0
        for second, decision in people:
            await time_env.sleep(timedelta(seconds=second - elapsed))
            elapsed = second
            await decide(time_env.client, request.incident_id, decision)
        card = await handle.result()
    assert card.mode == "live" and recorder.read() == []
    # Sev0 is "즉시": scored against the policy's drills.immediate_ack_within
    assert (card.targets.ack_seconds, card.targets.ack_scored_against_seconds, card.targets.ack_met) == (0, 60, True)
    by_person = {p.person: p for p in card.participants}
    assert list(by_person) == ["minsu", "jiyoung", "sre-lead", "intern-lee"]
    assert (by_person["minsu"].roles, by_person["minsu"].decisions) == ([Role.IC], 4)
    assert by_person["minsu"].acknowledged_at_seconds == pytest.approx(40, abs=2)
    assert by_person["minsu"].evaluation.startswith(
        "acknowledged in 40s against the immediate (scored within 1m) target (within); ic from T+0:01:00")
    assert (by_person["jiyoung"].roles, by_person["jiyoung"].checklist_done) == ([Role.OPS], ["rollback-checked"])
    assert by_person["sre-lead"].evaluation.startswith(
        "paged as tertiary at T+0:00:00 (acknowledged by minsu); comms from T+0:02:30; 1 decision, first at T+0:04:00")

    kept = archive(lambda: ledger, policy, card)
    assert kept.not_recorded == [("intern-lee", "not listed under people in the on-call policy")]
    records = {r.person: r for r in training.records(ledger)}
    assert {p: (r.kind, r.role, r.recorded_by) for p, r in records.items()} == {
        "minsu": ("drill", "ic", "drill"), "jiyoung": ("drill", "ops", "drill"),
        "sre-lead": ("drill", "comms", "drill")}
    assert records["minsu"].evaluation == by_person["minsu"].evaluation
    assert records["jiyoung"].scorecard["incident_id"] == request.incident_id
    now = datetime.now(UTC)
    report = evaluate(ReadinessFacts(at=now, quarter="this quarter", drills=drills_this_quarter(
        training.records(ledger), now, policy.oncall.rotation.timezone)))
    drill = next(i for i in report.items if i.id == "drill")
    assert drill.passed and drill.why.endswith("participants: jiyoung (ops), minsu (ic), sre-lead (comms)")


async def test_an_instant_drill_has_no_participants_to_record(time_env, task_queue, recorder, ledger, policy):
    item = load_scenario(DRILLS / "game-server-down-sev0.yaml")
    async with running_worker(time_env.client, task_queue, recorder):
        card = await play(time_env.client, task_queue, DrillRequest(
            scenario=item.scenario, incident_id=new_incident_id("inst"), policy_dir=item.policy_dir))
    assert card.participants == []  # the scenario's names are the script
    assert card.targets.ack_met is True  # acknowledged at 45 s, within the immediate 1m
    assert archive(lambda: ledger, policy, card).recorded == [] and training.records(ledger) == []
