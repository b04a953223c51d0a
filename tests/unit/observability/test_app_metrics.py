"""App metrics recorded by the activities themselves: real channel adapters over loopback HTTP, counted into
the worker's registry (observability/metrics.py) — what /metrics shows for failures and runbook steps."""

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from aiohttp import web
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotificationActivities
from activities.remediation import ActionRequest, RemediationActivities
from adapters.channels import RecordingChannel
from adapters.channels.pagerduty import PagerDutyChannel
from adapters.stores.delivery_log import DeliveryLog
from domain.comms.notifications import PageRequest
from domain.incident.severity import Severity, Tier
from domain.runbooks.plan import HttpCall, ResolvedAction
from observability.metrics import REGISTRY
from testkit.environment import free_port


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_failing_pager_counts_failures_and_the_working_channel_counts_one_page(policy, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/v2/enqueue"  # nothing listens: connection refused
    pager = PagerDutyChannel(dead, SecretStr("routing-key"), DeliveryLog(tmp_path / "pager.db"))
    recorder = RecordingChannel()
    activities = NotificationActivities([recorder, pager])
    request = PageRequest(key=f"wf/run/{uuid.uuid4().hex}/primary", incident_id="m-1", title="Payments down",
                          service="payments", severity=Severity.SEV1, tier=Tier.PRIMARY, reason="declared",
                          at=datetime.now(UTC), oncall=policy.oncall)
    failures = sample("incidentflow_notification_failures_total", adapter="pagerduty", operation="page_responder")
    pages = sample("incidentflow_pages_sent_total", tier="primary", channel="record")
    pagerduty_pages = sample("incidentflow_pages_sent_total", tier="primary", channel="pagerduty")

    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, activity_type="page_responder")  # as the worker names it
    for _attempt in range(2):  # Temporal's retry: the same request again
        with pytest.raises(Exception):  # noqa: B017 - whatever the adapter raises for a refused connection
            await env.run(activities.page_responder, request)

    assert len(recorder.pages()) == 1  # asked twice; the channel is idempotent by key, and so is the count:
    assert sample("incidentflow_pages_sent_total", tier="primary", channel="record") == pages + 1
    assert sample("incidentflow_pages_sent_total", tier="primary", channel="pagerduty") == pagerduty_pages
    assert sample("incidentflow_notification_failures_total", adapter="pagerduty",
                  operation="page_responder") == failures + 2


@pytest.fixture
async def admin_api():
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["status"]))

    app = web.Application()
    app.router.add_route("*", "/status/{status}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def action_request(status: int, purpose: str) -> ActionRequest:
    call = HttpCall(method="POST", endpoint="admin_api", url=f"/status/{status}")
    action = ResolvedAction(kind="http", summary=f"POST → {status}", timeout_seconds=5, retries=0, http=call)
    return ActionRequest(key=uuid.uuid4().hex, incident_id="m-2", step="s1", purpose=purpose, action=action,
                         directory=".")


@pytest.mark.parametrize(("status", "purpose", "outcome"), [
    (200, "step", "ok"), (409, "step", "failed"), (404, "verify", "failed"), (503, "step", "error"),
])
async def test_remediation_steps_are_counted_by_outcome(admin_api, status, purpose, outcome):
    activities = RemediationActivities({"admin_api": admin_api})
    before = sample("incidentflow_remediation_steps_total", kind="http", purpose=purpose, outcome=outcome)
    try:
        result = await ActivityEnvironment().run(activities.run_action, action_request(status, purpose))
        assert result.ok == (outcome == "ok")
    except ApplicationError as exc:
        assert outcome != "ok" and exc.non_retryable == (outcome == "failed")
    assert sample("incidentflow_remediation_steps_total", kind="http", purpose=purpose, outcome=outcome) == before + 1
