"""R3 outages: PagerDuty answering 500, then 429 + Retry-After, for half an hour of workflow time
(time-skipping server). The escalation timers must still fire on time — the pages reach the channels that work
(Slack and the recording channel, which proves the timers) at 0, 5 and 30 minutes — and once PagerDuty is
back every page reaches it exactly once; nothing is dropped. (The Slack outage, PagerDuty carrying the pages,
is tests/integration/gateway/test_slack_outage.py.) Real slack-sdk and PagerDuty client, fakes on loopback.

Atlassian Statuspage down the same way while a public Sev1 escalates and people post updates: the pages are
on time, and after recovery Statuspage holds one incident showing the latest public status and message. And
Statuspage acting on a request whose answer is lost: the retry finds the incident instead of creating another."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.channels import RecordingChannel
from adapters.channels.slack import channel_name
from adapters.stores.status_store import StatusStore
from domain.comms.view import AUTOMATIC_MESSAGES
from domain.incident import decisions as d
from domain.incident.severity import Severity
from testkit.comms import comms_settings, comms_worker, snapshot
from testkit.fakes.statuspage import FakeStatuspage
from testkit.helpers import start_incident
from testkit.polling import skip_time_until, wait_until
from workflows.incident import IncidentWorkflow

TIERS = ("primary", "secondary", "tertiary")


def recorded_tiers(recorder: RecordingChannel, incident_id: str) -> list[str]:
    return [p["tier"] for p in recorder.pages() if p["incident_id"] == incident_id]


async def escalate_through_the_outage(time_env, recorder: RecordingChannel, incident_id: str, rate_limit) -> None:
    """The service down for 6 minutes (the Sev1 ack timeout pages secondary at 5:00), then `rate_limit()`ed
    (429 + Retry-After) for 25 more (tertiary at 30:00); each page must reach the recording channel on time."""
    await time_env.sleep(timedelta(minutes=6))
    await wait_until(lambda: recorded_tiers(recorder, incident_id) == ["primary", "secondary"],
                     "the ack-timeout page on the working channels")
    rate_limit()
    await time_env.sleep(timedelta(minutes=25))
    await wait_until(lambda: recorded_tiers(recorder, incident_id) == list(TIERS), "the 30-minute page")


def seconds(delta: timedelta) -> int:
    return round(delta.total_seconds())


SP_PAGE, SP_KEY = "pg-gameco", "sp-key-3c1d0e55a7b94f2e"


def statuspage_settings(tmp_path, statuspage: FakeStatuspage):
    return comms_settings(tmp_path, statuspage_api_url=statuspage.api_url, statuspage_page_id=SP_PAGE,
                          statuspage_api_key=SP_KEY)


def answered_after_lost(statuspage: FakeStatuspage, method: str) -> bool:
    """The request of `method` whose answer was lost has been followed by one that was answered 2xx."""
    lost = [n for n, c in enumerate(statuspage.calls) if c.method == method and c.fault and c.processed]
    return bool(lost) and any(c.status < 300 and not c.fault for c in statuspage.calls[lost[0] + 1:])


def built_in_status(tmp_path) -> list[tuple[str, str | None]]:
    """(public status, latest update) of every incident on the built-in status page."""
    views = StatusStore(tmp_path / "status.db").recent(datetime.now(UTC) + timedelta(days=365))
    return [(v.public_status, v.updates[-1].message if v.updates else None) for v in views]


def what_happened(body: str) -> str:
    """The update's message in a Statuspage body (the policy's external_update template renders it)."""
    prefix = "What happened: "
    return next(line.removeprefix(prefix) for line in body.splitlines() if line.startswith(prefix))


def shown(statuspage: FakeStatuspage) -> list[tuple[str, str, str]]:
    """(name, status, latest update) of every incident on the fake Statuspage."""
    return [(i["name"], i["status"], what_happened(i["incident_updates"][0]["body"]))
            for i in statuspage.incidents.values()]


@pytest.mark.slow
async def test_pagerduty_down_for_half_an_hour_escalates_on_time_elsewhere_and_delivers_each_page_once_after(
        time_env, task_queue, tmp_path, slack, pagerduty):
    recorder = RecordingChannel()
    pagerduty.outage = (500, None)
    settings = comms_settings(tmp_path, slack, pagerduty)
    client = time_env.client
    async with comms_worker(client, task_queue, settings, recorder):
        handle = await start_incident(client, task_queue, Severity.SEV1, service="payments",
                                      title="Payment errors while PagerDuty is down")
        incident_id = handle.id.removeprefix("incident-")
        await wait_until(lambda: recorded_tiers(recorder, incident_id) == ["primary"], "the primary page")
        detected = (await snapshot(client, incident_id)).detected_at

        await escalate_through_the_outage(time_env, recorder, incident_id,
                                          lambda: setattr(pagerduty, "outage", (429, 30)))
        during = await snapshot(client, incident_id)
        answered_during = {e.status for e in pagerduty.events}
        accepted_during = pagerduty.accepted("trigger")

        pagerduty.outage = None  # back: the retries (backing off to once a minute) go through
        await skip_time_until(time_env, lambda: {b["dedup_key"] for b in pagerduty.accepted("trigger")} >= {
            f"{incident_id}/{t}" for t in TIERS}, "every tier's page accepted", steps=20)
        await asyncio.sleep(1)
        after = await snapshot(client, incident_id)
        await handle.terminate("test over")

    assert answered_during == {500, 429} and accepted_during == []
    # the escalation timers fired on time while PagerDuty was down ...
    assert [(e.rule, e.tier.value, seconds(e.at - detected)) for e in during.escalations if e.paged] == [
        ("ack-timeout", "secondary", 5 * 60), ("sev1-30m", "tertiary", 30 * 60)]
    # ... and each page reached the recording channel once, and Slack invited each paged person into the room
    assert recorded_tiers(recorder, incident_id) == list(TIERS)
    channel = slack.channel_named(channel_name("inc", incident_id))
    assert channel is not None and len(slack.headers(channel)) == 1
    # after recovery PagerDuty has one alert per tier, each triggered exactly once: nothing dropped or doubled
    assert {k: a.count("trigger") for k, a in pagerduty.alerts().items()} == {
        f"{incident_id}/{t}": 1 for t in TIERS}
    # (the workflow lists a page when its delivery completes: after the outage, in whatever order the retries
    # landed; each keeps the time it was due)
    assert sorted((seconds(p.at - detected), p.tier.value) for p in after.pages) == [
        (0, "primary"), (5 * 60, "secondary"), (30 * 60, "tertiary")]


@pytest.mark.slow
async def test_statuspage_down_escalates_on_time_and_shows_one_incident_with_the_latest_update_after(
        time_env, task_queue, tmp_path, caplog):
    recorder = RecordingChannel()
    title = "Payment errors while Statuspage is down"
    identified = "Card payments fail at the payment provider; we are failing over to the backup provider."
    recovering = "Payments go through the backup provider again; we are watching error rates."
    client = time_env.client
    with FakeStatuspage(SP_PAGE, SP_KEY) as statuspage:
        statuspage.outage = (500, None)
        async with comms_worker(client, task_queue, statuspage_settings(tmp_path, statuspage), recorder):
            handle = await start_incident(client, task_queue, Severity.SEV1, service="payments", title=title)
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: recorded_tiers(recorder, incident_id) == ["primary"], "the primary page")
            detected = (await snapshot(client, incident_id)).detected_at
            await handle.execute_update(IncidentWorkflow.decide, d.PostUpdate(
                by="seoyeon", status="identified", message=identified))
            # the channels that work keep following the incident: the built-in status page shows the update
            await wait_until(lambda: built_in_status(tmp_path) == [("identified", identified)],
                             "the built-in status page showing the update while Statuspage is down")

            await escalate_through_the_outage(time_env, recorder, incident_id,
                                              lambda: setattr(statuspage, "outage", (429, 30)))
            await handle.execute_update(IncidentWorkflow.decide, d.MarkMitigated(by="minsu"))
            await handle.execute_update(IncidentWorkflow.decide, d.PostUpdate(
                by="seoyeon", status="monitoring", message=recovering))
            await wait_until(lambda: built_in_status(tmp_path) == [("monitoring", recovering)],
                             "the built-in status page showing the latest update while Statuspage is rate limited")
            during = await snapshot(client, incident_id)
            answered_during = {c.status for c in statuspage.calls}
            processed_during = statuspage.processed()

            statuspage.outage = None  # back: the retries (backing off to once a minute) go through
            await skip_time_until(time_env, lambda: shown(statuspage) and shown(statuspage)[0][1:] == (
                "monitoring", recovering), "the status page showing the incident monitoring", steps=20)
            await asyncio.sleep(1)  # a late duplicate would land now
            await handle.terminate("test over")

    assert answered_during == {500, 429} and processed_during == []
    # the escalation timers fired on time while Statuspage was down, and every page went out on time
    assert [(e.rule, e.tier.value, seconds(e.at - detected)) for e in during.escalations if e.paged] == [
        ("ack-timeout", "secondary", 5 * 60), ("sev1-30m", "tertiary", 30 * 60)]
    assert sorted((seconds(p.at - detected), p.tier.value) for p in during.pages) == [
        (0, "primary"), (5 * 60, "secondary"), (30 * 60, "tertiary")]
    assert recorded_tiers(recorder, incident_id) == list(TIERS)
    # after recovery: one Statuspage incident, created once, showing the latest public status and message
    assert shown(statuspage) == [(title, "monitoring", recovering)]
    assert len(statuspage.processed("POST")) == 1
    [incident] = statuspage.incidents.values()
    updates = [(status, what_happened(body)) for status, body in statuspage.updates(incident)]
    # the latest view replaced the ones Statuspage missed: it was created showing it, nothing posted twice
    assert updates == [("monitoring", recovering)], updates
    assert "channel statuspage failed" in caplog.text and SP_KEY not in caplog.text, "the API key reached the log"


@pytest.mark.slow
@pytest.mark.parametrize("lost", ["500 after storing", "truncated 200"])
async def test_statuspage_acting_on_a_request_whose_answer_is_lost_creates_one_incident_and_updates_it_once(
        time_env, task_queue, tmp_path, lost):
    status, answer = (500, None) if lost == "500 after storing" else (200, '{"id": "')
    client = time_env.client
    with FakeStatuspage(SP_PAGE, SP_KEY) as statuspage:
        statuspage.fail_next("POST", status, after_effect=True, answer=answer)
        statuspage.fail_next("PATCH", status, after_effect=True, answer=answer)
        async with comms_worker(client, task_queue, statuspage_settings(tmp_path, statuspage)):
            handle = await start_incident(client, task_queue, Severity.SEV0, service="game-servers",
                                          title="Game servers down")
            incident_id = handle.id.removeprefix("incident-")
            await wait_until(lambda: answered_after_lost(statuspage, "POST"), "the retry after the lost POST answer")
            await handle.execute_update(IncidentWorkflow.decide, d.MarkMitigated(by="minsu"))
            await wait_until(lambda: answered_after_lost(statuspage, "PATCH"), "the retry after the lost PATCH answer")
            await asyncio.sleep(2)  # a late duplicate would land now
            await handle.terminate("test over")

    assert len(statuspage.processed("POST")) == 1, [(c.method, c.path, c.status) for c in statuspage.calls]
    assert len(statuspage.processed("PATCH")) == 1, [(c.method, c.path, c.status) for c in statuspage.calls]
    assert shown(statuspage) == [("Game servers down", "monitoring", AUTOMATIC_MESSAGES["monitoring"])]
    [incident] = statuspage.incidents.values()
    assert incident["metadata"]["incidentflow"]["incident_id"] == incident_id
    assert [s for s, _ in statuspage.updates(incident)] == ["investigating", "monitoring"]
