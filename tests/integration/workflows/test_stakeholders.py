"""Sev0 "즉시 CTO 및 모든 팀 리드": the severity's stakeholders are told at once (a notice, not a page) while
the executive tier is still paged at one hour; raising an incident to Sev0 tells them then; drills list the
notices in their report; incidents declared before the patch never plan them (docs/upgrading.md)."""

from datetime import timedelta

from cli.drill_runner import load_scenario, new_incident_id
from domain.drills.playback import DrillRequest
from domain.incident import decisions as d
from domain.incident.severity import Severity
from service.drills import play
from service.incidents import _state_fields
from testkit.environment import PROJECT
from testkit.helpers import offsets, running_worker, start_incident
from testkit.histories import patch_answers
from workflows import incident_versions as versions
from workflows.incident import IncidentWorkflow

STAKEHOLDERS = ["cto", "sre-lead", "ops-lead", "dev-lead"]  # policies/incident-management-policy.yaml, sev0
SUPPORT = "customer-support-lead"  # communication.public_incident_contacts: Sev0 and Sev1 are public


def told(state) -> list[tuple[str, int]]:
    return [(n.to, round((n.at - state.detected_at).total_seconds())) for n in state.notifications]


def stakeholder_messages(recorder) -> list[tuple[str, ...]]:
    return [tuple(m["to"]) for m in recorder.read() if m["type"] == "message" and m["kind"] == "stakeholder"]


async def test_sev0_tells_the_cto_and_every_team_lead_at_once_and_pages_the_executive_at_one_hour(
        time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV0, title="Game servers down",
                                      service="game-servers")
        await time_env.sleep(timedelta(minutes=5))
        early = await handle.query(IncidentWorkflow.snapshot)
        await time_env.sleep(timedelta(minutes=65))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert told(early) == [(person, 0) for person in [*STAKEHOLDERS, SUPPORT]]
    assert "executive" not in [p.tier.value for p in early.pages]  # told is not paged
    assert ("executive", 3600) in offsets(state.pages, state.detected_at)
    assert told(state) == told(early)  # once each, never again
    assert stakeholder_messages(recorder) == [tuple(STAKEHOLDERS), (SUPPORT,)]  # one message a list, all mentioned
    assert any(t.kind == "stakeholder" and t.text.startswith("notified cto (CTO (@cto)): sev0")
               for t in state.timeline)
    shown = _state_fields(state)["notifications"]  # what `incident show --json` prints
    assert [(n["to"], n["at"] == shown[0]["at"]) for n in shown] == [(p, True) for p in [*STAKEHOLDERS, SUPPORT]]
    assert shown[0]["why"] == "sev0: the policy tells CTO (@cto) at once"
    assert shown[-1]["why"] == "sev0 is public (status page): the policy tells Customer Support Lead " \
                               "(@customer-support-lead) at once"
    assert next(c for c in state.checklist if c.item == "stakeholders-notified").done


async def test_raising_an_incident_to_sev0_tells_the_stakeholders_then(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(minutes=20))
        assert [n.to for n in (await handle.query(IncidentWorkflow.snapshot)).notifications] == [SUPPORT]
        await handle.execute_update(IncidentWorkflow.decide, d.SetSeverity(by="minsu", severity=Severity.SEV0))
        await time_env.sleep(timedelta(minutes=1))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert [to for to, _ in told(state)] == [SUPPORT, *STAKEHOLDERS]  # support once, at the start
    assert all(20 * 60 <= at <= 21 * 60 for _, at in told(state)[1:])


async def test_lower_severities_tell_nobody(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        await time_env.sleep(timedelta(hours=2))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert state.notifications == [] and stakeholder_messages(recorder) == []


async def test_a_sev0_drill_reports_the_notices_beside_the_pages(time_env, recorder, task_queue):
    item = load_scenario(PROJECT / "drills" / "game-server-down-sev0.yaml")
    async with running_worker(time_env.client, task_queue, recorder):
        card = await play(time_env.client, task_queue, DrillRequest(
            scenario=item.scenario, incident_id=new_incident_id("sev0"), policy_dir=item.policy_dir))
    report = card.model_dump(mode="json")  # what `incident drill run --json` prints
    assert [(n["to"], round(n["at_seconds"])) for n in report["notifications"]] == [
        (p, 0) for p in [*STAKEHOLDERS, SUPPORT]]
    assert report["notifications"][0]["why"].startswith("sev0: the policy tells")
    assert card.passed and recorder.read() == []  # a drill's notices reach nobody


async def test_every_stored_history_was_declared_before_the_stakeholder_and_public_contact_patches(monkeypatch):
    answers = await patch_answers(monkeypatch, {versions.STAKEHOLDERS_NOTIFIED, versions.PUBLIC_CONTACTS_TOLD})
    assert {patch for _, patch, _ in answers} == {versions.STAKEHOLDERS_NOTIFIED, versions.PUBLIC_CONTACTS_TOLD}
    assert [a for a in answers if a[2]] == []
