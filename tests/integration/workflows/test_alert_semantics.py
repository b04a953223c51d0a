"""What a real alert group does to an incident, on Temporal's time-skipping server with the real worker (the
pure rules: tests/unit/domain/test_alert_rules.py)."""

from datetime import timedelta

from domain.incident import decisions as d
from domain.incident.phases import Phase
from testkit.alerts import alert, snapshot
from testkit.helpers import offsets, running_worker, start_incident
from workflows.incident import IncidentWorkflow


async def test_a_recovered_alert_wakes_nobody_and_a_refire_pages_primary_again(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, severity=None, title="FriendsApiErrors",
                                      service="friends", source="alertmanager", alerts=[alert("a")])
        await time_env.sleep(timedelta(minutes=2))
        await handle.signal(IncidentWorkflow.alerts, snapshot(alert("a", "resolved")))
        await time_env.sleep(timedelta(minutes=38))  # the 15-minute acknowledgement deadline passes: it waits
        quiet = await handle.query(IncidentWorkflow.snapshot)
        await handle.signal(IncidentWorkflow.alerts, snapshot(alert("a")))
        await time_env.sleep(timedelta(minutes=16))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert quiet.phase == Phase.MITIGATED and offsets(quiet.pages, quiet.detected_at) == [("primary", 0)]
    assert state.phase == Phase.DETECTED
    assert offsets(state.pages, state.detected_at) == [("primary", 0), ("primary", 40 * 60),
                                                      ("secondary", 55 * 60)]
    primary = [p["target"] for p in recorder.pages() if p["tier"] == "primary"]
    assert len(primary) == 2 and primary[0] == primary[1]
    assert any("paging the primary on call again" in e.text for e in state.timeline)


async def test_after_an_acknowledgement_the_refire_pages_that_person_whoever_holds_primary(time_env, recorder,
                                                                                          task_queue, policy):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, severity=None, title="FriendsApiErrors",
                                      service="friends", source="alertmanager", alerts=[alert("a")])
        await time_env.sleep(timedelta(seconds=1))
        primary = (await handle.query(IncidentWorkflow.snapshot)).pages[0].target
        someone_else = next(p for p in ("minsu", "jiyoung", "hyunwoo", "seoyeon") if p != primary)
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by=someone_else))
        await handle.signal(IncidentWorkflow.alerts, snapshot(alert("a", "resolved")))
        await time_env.sleep(timedelta(minutes=10))
        await handle.signal(IncidentWorkflow.alerts, snapshot(alert("a")))
        await time_env.sleep(timedelta(minutes=1))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert state.phase == Phase.TRIAGED
    assert [(p.tier.value, p.target) for p in state.pages] == [("primary", primary), ("primary", someone_else)]
    assert recorder.pages()[-1]["target"] == someone_else
    assert any(f"paging {policy.person_name(someone_else)} again" in e.text for e in state.timeline)
