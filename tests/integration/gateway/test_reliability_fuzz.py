"""R4 fuzzing at the gateway: schemathesis over its own /openapi.json (bench/chaos/fuzz.py, a few hundred
requests here, 10,000 in the script), served by uvicorn on loopback with a worker and the time-skipping server
behind it: no 5xx, unauthenticated is 401, and no refused or unauthenticated request starts a workflow."""

import asyncio

import pytest

from bench.chaos.fuzz import StartRecorder, fuzz_gateway
from bench.chaos.hostile import hostile_shapes, run_hostile
from testkit.gateway import TOKEN, address_of, served
from testkit.helpers import running_worker

EXAMPLES = 300
# The time-skipping server has no list visibility; bench/chaos/fuzz.py fuzzes this route on the dev server.
NEEDS_VISIBILITY = ("GET /api/incidents", "GET /api/oncall/compensation")


@pytest.mark.timeout(600)
async def test_schemathesis_over_the_gateway_openapi_finds_no_5xx_and_no_workflow_started_by_a_refusal(
        time_env, task_queue, recorder):
    starts = StartRecorder()
    with served(address_of(time_env.client), task_queue, slack_signing_secret="fuzz-signing-secret") as gateway:
        gateway.app.state.gateway.temporal.interceptors.append(starts)
        async with running_worker(time_env.client, task_queue, recorder):
            report = await asyncio.to_thread(fuzz_gateway, gateway.url, TOKEN, starts, EXAMPLES, 3, NEEDS_VISIBILITY)
    summary = report.summary()
    assert report.server_errors == [], summary
    assert report.unauthenticated_not_401 == [], summary
    assert report.started_by_refused == [], summary
    assert report.requests_run >= EXAMPLES * 0.9, summary
    # the fuzzer reached past authentication and validation: both refusals and accepted requests happened
    assert summary["statuses"].get(401) and summary["statuses"].get(422), summary
    assert report.workflows_started > 0, summary


@pytest.mark.timeout(300)
async def test_the_hostile_shapes_are_answered_right_and_leave_no_incident_stuck(time_env, task_queue, recorder):
    with served(address_of(time_env.client), task_queue, slack_signing_secret="fuzz-signing-secret") as gateway:
        async with running_worker(time_env.client, task_queue, recorder):
            report = await asyncio.to_thread(run_hostile, gateway.url, TOKEN)
    summary = report.summary()
    assert report.wrong_answers == [] and report.stuck == [], summary
    assert set(report.answers) == set(hostile_shapes()), summary
    assert len(report.incidents) >= 6, summary  # every alert shape opened an incident that still answers
