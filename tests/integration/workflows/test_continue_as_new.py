"""A long incident continues as a new run (domain/incident/continuation.py): short histories for a restarted worker to
replay, and nothing the responders would notice — no page or reminder sent twice or skipped, one timeline,
decisions and queries by incident id as before."""

import asyncio
import json
import uuid
from collections import Counter
from datetime import timedelta
from itertools import pairwise

from domain.incident import continuation
from domain.incident import decisions as d
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from service.incident_reader import query_snapshot, run_histories
from testkit.gateway import address_of, alertmanager_group, served, state_with_alerts
from testkit.helpers import running_worker, start_incident
from testkit.histories import load_history, stored_histories
from testkit.polling import wait_until
from worker import build_replayer
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow
from workflows.incident_versions import CONTINUE_AS_NEW_WHEN_LONG


async def replay_failures(histories) -> list[str]:
    replayer = build_replayer()
    results = [await replayer.replay_workflow(h, raise_on_replay_failure=False) for h in histories]
    return [f"{h.workflow_id}: {r.replay_failure}" for h, r in zip(histories, results, strict=True) if r.replay_failure]


async def test_a_ten_hour_incident_continues_as_new_without_repeating_or_skipping_anything(
        time_env, policy, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(hours=10))  # nobody answers: every tier paged, a reminder every 15 min
        runs = await run_histories(time_env.client, handle.id)
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="minsu"))
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="minsu", summary="bad deploy"))
        state = await handle.query(IncidentWorkflow.snapshot)
        runs_after = await run_histories(time_env.client, handle.id)

    assert len(runs) >= 3, [len(r.events) for r in runs]
    assert max(len(r.events) for r in runs) <= 2 * continuation.HISTORY_LIMIT, [len(r.events) for r in runs]
    assert [r.events[-1].HasField("workflow_execution_continued_as_new_event_attributes") for r in runs[:-1]] \
        == [True] * (len(runs) - 1)
    # one incident throughout: declared once, every tier paged once, the decisions taken by the latest run
    assert [t.kind for t in state.timeline].count("declared") == 1
    assert sorted(p.tier.value for p in state.pages) == ["executive", "primary", "secondary", "tertiary"]
    sent = recorder.read()
    assert Counter(p["tier"] for p in sent if p["type"] == "page") == Counter(p.tier.value for p in state.pages)
    assert [m["kind"] for m in sent if m["type"] == "message"].count("declared") == 1
    assert state.acknowledged_by == "minsu" and state.phase.reached(Phase.RESOLVED)
    # internal-update reminders every 15 minutes across the runs: none twice, none skipped
    reminders = [t.at for t in state.timeline if t.kind == "comms_reminder"]
    every = policy.incident.communication.internal_update_every
    assert len(reminders) >= 38
    # (each entry bears the time of the workflow task that sent it: a few hundred ms after its timer when busy)
    assert all(abs(b - a - every) < timedelta(seconds=1) for a, b in pairwise(reminders)), reminders
    assert [m["kind"] for m in sent if m["type"] == "message"].count("comms_reminder") == len(reminders)
    assert await replay_failures(runs_after) == []


def patches_of(history) -> set[str]:
    """The patch ids whose markers the history recorded."""
    markers = [e.marker_recorded_event_attributes for e in history.events
               if e.HasField("marker_recorded_event_attributes")]
    return {json.loads(p.data)["id"] for m in markers if m.marker_name == "core_patch"
            for p in m.details["patch-data"].payloads}


async def test_runs_recorded_before_continue_as_new_replay_past_the_limit(time_env, recorder, task_queue,
                                                                         monkeypatch):
    """The stored histories pass quiet moments beyond a low limit without the patch marker: the code must
    wait there as the old code did. The same limit does make a new incident continue (so it is in force)."""
    monkeypatch.setattr(continuation, "HISTORY_LIMIT", 40)
    before = [h for h in map(load_history, stored_histories()) if CONTINUE_AS_NEW_WHEN_LONG not in patches_of(h)]
    assert len(before) >= 10
    assert await replay_failures(before) == []
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(hours=2))
        runs = await run_histories(time_env.client, handle.id)
    assert len(runs) >= 2


async def test_queries_that_reach_a_run_as_it_continues_are_answered(time_env, recorder, task_queue, monkeypatch):
    """`incident show`, the REST API and the bots ask by incident id; a query that reaches a run in the moment it
    continues as new must still get the incident's state (activities/incident_reader.query_snapshot). On the
    time-skipping server such a query is never answered."""
    monkeypatch.setattr(continuation, "HISTORY_LIMIT", 40)  # each incident continues right after its start-up
    loop = asyncio.get_running_loop()

    async def ask_all_along(handle) -> list[int]:
        answers, until = [], loop.time() + 3
        while loop.time() < until:
            state = await query_snapshot(handle)
            answers.append(len(state.timeline) if state else -1)
        return answers

    async with running_worker(time_env.client, task_queue, recorder):
        handles = [await start_incident(time_env.client, task_queue, Severity.SEV1) for _ in range(8)]
        answers = await asyncio.gather(*(ask_all_along(h) for h in handles))
        runs = [await run_histories(time_env.client, h.id) for h in handles]
    assert all(len(r) >= 2 for r in runs), [len(r) for r in runs]
    for incident in answers:  # one timeline, growing, never an older run's; None only while still starting
        started = [n for n in incident if n >= 0]
        assert started and started == sorted(started) and -1 not in incident[incident.index(started[0]):]


async def test_an_alert_for_a_continued_incident_lands_in_it_and_opens_nothing_new(time_env, recorder, task_queue):
    group = alertmanager_group(f"group-{uuid.uuid4().hex}", fingerprints=("f1", "f2"))
    async with running_worker(time_env.client, task_queue, recorder):
        with served(address_of(time_env.client), task_queue) as gateway:
            async with gateway.http() as http:
                first = (await http.post("/webhooks/alertmanager", json=group)).json()
                handle = time_env.client.get_workflow_handle_for(IncidentWorkflow.run,
                                                                 WORKFLOW_ID_PREFIX + first["incident_id"])
                await time_env.sleep(timedelta(hours=10))
                assert len(await run_histories(time_env.client, handle.id)) >= 2
                grown = alertmanager_group(group["groupKey"], fingerprints=("f1", "f2", "f3"))
                again = await http.post("/webhooks/alertmanager", json=grown)
                state = await wait_until(lambda: state_with_alerts(time_env.client, first["incident_id"], 3),
                                         "third alert")
            started = gateway.metric("incidentflow_gateway_incidents_started_total", source="alertmanager")
    assert first["started"] is True
    assert again.status_code == 200 and again.json()["incident_id"] == first["incident_id"], again.text
    assert again.json()["started"] is False and started == 1
    assert sorted(state.alerts) == ["f1", "f2", "f3"]
    assert sorted(p["tier"] for p in recorder.pages()) == ["executive", "primary", "secondary", "tertiary"]


def test_continue_only_when_quiet_long_and_not_a_drill():
    long, short = continuation.HISTORY_LIMIT, continuation.HISTORY_LIMIT - 1
    assert continuation.should_continue_as_new(long, suggested=False, quiet=True, drill=False)
    assert not continuation.should_continue_as_new(short, suggested=False, quiet=True, drill=False)
    assert continuation.should_continue_as_new(short, suggested=True, quiet=True, drill=False)
    assert not continuation.should_continue_as_new(long, suggested=True, quiet=False, drill=False)
    assert not continuation.should_continue_as_new(long, suggested=True, quiet=True, drill=True)
