"""A channel that refuses a delivery for good (a 4xx) is not asked again about once a minute forever: the refusal
is written into the incident's timeline, and channels apply their own limits (Statuspage's 255-character name)
so a long title is not refused at all. Real adapters against the fakes on loopback, time-skipping server."""

from datetime import timedelta

from domain.incident.severity import Severity
from testkit.comms import comms_settings, comms_worker
from testkit.fakes.pagerduty import FakePagerDuty
from testkit.fakes.statuspage import FakeStatuspage
from testkit.helpers import start_incident
from testkit.polling import wait_until
from workflows.incident import IncidentWorkflow

PAGE, KEY = "pg-refusals", "sp-key-refusals"
LONG_TITLE = "결제 실패 Payment errors " + "x" * 270  # 292 characters: within our limit, over Statuspage's


async def test_a_title_longer_than_statuspage_allows_is_cut_by_the_adapter(time_env, task_queue, tmp_path):
    with FakeStatuspage(PAGE, KEY) as fake:
        settings = comms_settings(tmp_path, statuspage_api_url=fake.api_url, statuspage_page_id=PAGE,
                                  statuspage_api_key=KEY)
        async with comms_worker(time_env.client, task_queue, settings):
            handle = await start_incident(time_env.client, task_queue, Severity.SEV0, service="game-servers",
                                          title=LONG_TITLE)
            await wait_until(lambda: fake.processed("POST"), "the Statuspage incident")
            await handle.terminate("test over")
    [incident] = fake.incidents.values()
    assert len(incident["name"]) == 255 and incident["name"].startswith("결제 실패 Payment errors")
    assert [c.status for c in fake.calls if c.status >= 400] == []


async def test_a_refusing_statuspage_is_asked_once_and_the_timeline_says_why(time_env, task_queue, tmp_path):
    with FakeStatuspage(PAGE, KEY) as fake:
        fake.outage = (422, None)  # every request refused as invalid, for good
        settings = comms_settings(tmp_path, statuspage_api_url=fake.api_url, statuspage_page_id=PAGE,
                                  statuspage_api_key=KEY)
        async with comms_worker(time_env.client, task_queue, settings):
            handle = await start_incident(time_env.client, task_queue, Severity.SEV0, service="game-servers")
            await wait_until(lambda: fake.calls, "the first Statuspage request")

            async def refusal_noted():
                state = await handle.query(IncidentWorkflow.snapshot)
                timeline = state.timeline if state else []
                return [e for e in timeline if e.kind == "notification" and "statuspage" in e.text]

            [noted] = await wait_until(refusal_noted, "the refusal in the timeline")
            calls_then = len(fake.calls)
            await time_env.sleep(timedelta(minutes=30))  # retried once a minute, this was 30 more calls
            state = await handle.query(IncidentWorkflow.snapshot)
            await handle.terminate("test over")
    assert noted.text.startswith("incident view not delivered: statuspage: Statuspage refused")
    assert "HTTP 422" in noted.text
    # later views (the escalations change the header) are refused too, but the same refusal is noted once
    assert len(fake.calls) - calls_then <= 6
    assert [e.text for e in state.timeline if e.kind == "notification"] == [noted.text]
    assert {"primary", "secondary"} <= {p.tier.value for p in state.pages}  # paging was never held back


async def test_a_page_pagerduty_refuses_is_written_into_the_timeline_and_not_sent_again(time_env, task_queue,
                                                                                        tmp_path):
    with FakePagerDuty({"the-right-key"}) as pagerduty:  # answers 400 "bad routing_key" to ours
        settings = comms_settings(tmp_path, pagerduty=pagerduty)
        async with comms_worker(time_env.client, task_queue, settings):
            handle = await start_incident(time_env.client, task_queue, Severity.SEV2, service="friends")

            async def refusal_noted():
                state = await handle.query(IncidentWorkflow.snapshot)
                timeline = state.timeline if state else []
                return [e for e in timeline if e.kind == "notification" and "pagerduty" in e.text]

            [noted] = await wait_until(refusal_noted, "the refused page in the timeline")
            await time_env.sleep(timedelta(minutes=10))
            state = await handle.query(IncidentWorkflow.snapshot)
            await handle.terminate("test over")
    assert noted.text.startswith(f"page to {state.pages[0].target} not delivered: pagerduty: PagerDuty refused")
    assert "HTTP 400" in noted.text
    assert [e.status for e in pagerduty.events] == [400]  # asked once, not about once a minute
    assert "pagerduty" not in state.pages[0].channels and "record" in state.pages[0].channels
