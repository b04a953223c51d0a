"""Two worker processes on one task queue (docs/deploy.md, "Scaling workers"): they share the incidents,
and when one is killed the other finishes every incident — no page lost, none sent twice."""

import signal
from collections import Counter

import pytest

from adapters.channels import RecordingChannel
from domain.incident.decisions import Acknowledge, Resolve
from domain.incident.phases import Phase
from service.incident_reader import run_histories
from testkit.deploy import wait_for_pollers
from testkit.helpers import start_incident
from testkit.polling import wait_until
from testkit.processes import stack_env, start_worker
from workflows.incident import IncidentWorkflow

pytestmark = pytest.mark.slow

INCIDENTS = 8


async def identities(client, handle) -> set[str]:
    """Which workers ran the incident's activities (worker identity is pid@host/nonce), in every run: the
    incident may have continued as new (domain/incident/continuation.py)."""
    found = set()
    for history in await run_histories(client, handle.id):
        for event in history.events:
            if event.HasField("activity_task_started_event_attributes"):
                found.add(event.activity_task_started_event_attributes.identity.split("@")[0])
    return found


async def test_a_killed_worker_leaves_its_incidents_to_the_other(dev_server, dev_client, tmp_path):
    env = stack_env(dev_server, tmp_path, divisor=15)  # Sev1: primary at once, secondary after 20 s unacknowledged
    queue = env["INCIDENTFLOW_TASK_QUEUE"]
    recorder = RecordingChannel(env["INCIDENTFLOW_RECORD_FILE"])
    first = start_worker(env, tmp_path / "first.log")
    second = start_worker(env, tmp_path / "second.log")
    try:
        await wait_for_pollers(dev_client, queue, [first, second])
        handles = [await start_incident(dev_client, queue, title=f"Outage {n}", service=f"svc-{n}")
                   for n in range(INCIDENTS)]
        await wait_until(lambda: len(recorder.pages()) >= INCIDENTS, "every primary page", 40)
        ran = [await identities(dev_client, h) for h in handles]
        assert {str(first.pid), str(second.pid)} <= set().union(*ran), f"one worker did everything: {ran}"

        first.send_signal(signal.SIGKILL)  # the 20 s acknowledgement timers of every incident are pending
        first.wait()
        await wait_until(lambda: len(recorder.pages()) >= 2 * INCIDENTS,
                         "every secondary page, from the surviving worker", 60)
        for handle in handles:
            await handle.execute_update(IncidentWorkflow.decide, Acknowledge(by="minsu"))
            await handle.execute_update(IncidentWorkflow.decide, Resolve(by="minsu", summary="fixed"))
        states = [await h.query(IncidentWorkflow.snapshot) for h in handles]
    finally:
        for worker in (first, second):
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)

    assert all(state.phase.reached(Phase.RESOLVED) for state in states), [s.phase for s in states]
    for state in states:
        assert [p.tier.value for p in state.pages] == ["primary", "secondary"], (state.id, state.pages)
    sent = Counter((p["incident_id"], p["tier"]) for p in recorder.pages())
    assert sent == Counter({(s.id, tier): 1 for s in states for tier in ("primary", "secondary")})
    # the survivor did the work after the kill: every secondary page ran there
    for handle in handles:
        assert str(second.pid) in await identities(dev_client, handle)
