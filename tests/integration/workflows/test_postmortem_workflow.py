"""Time-skipping: resolution starts the PostmortemWorkflow, which drafts, reminds at 24 h and 46 h, tells
tier 3 at 48 h and records the miss; publishing closes the incident. Also the sev3 path (no postmortem)."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from activities.learning import LedgerActivities
from domain.incident import decisions as d
from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from domain.oncall.rotation import holder
from testkit.helpers import start_incident
from testkit.polling import wait_until
from testkit.postmortems import in_phase, postmortem_of
from worker import build_worker
from workflows.incident import IncidentWorkflow
from workflows.postmortem import PostmortemWorkflow, Publish


async def resolved_incident(env, task_queue, severity=Severity.SEV1):
    handle = await start_incident(env.client, task_queue, severity=severity)
    await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="jiyoung"))
    await handle.execute_update(IncidentWorkflow.decide, d.AssignRole(role="ic", to="jiyoung", by="jiyoung"))
    await handle.execute_update(IncidentWorkflow.decide, d.AddNote(text="rolled back payment-gateway 1.4.2",
                                                                   by="jiyoung"))
    await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="jiyoung", summary="bad deploy rolled back"))
    return handle


def postmortem_messages(recorder, incident_id):
    return [m for m in recorder.read() if m["type"] == "message" and m["kind"] == "postmortem"
            and m["incident_id"] == incident_id]


async def test_unpublished_postmortem_reminds_at_24h_and_46h_then_tells_tier_3_at_48h(
        time_env, task_queue, recorder, ledger, tmp_path, policy):
    learning = LedgerActivities(ledger, tmp_path)
    async with build_worker(time_env.client, task_queue, [recorder], learning=learning):
        incident = await resolved_incident(time_env, task_queue)
        state, pm = await postmortem_of(time_env, incident)

        # the draft: a file in the data dir and a ledger row, filled with what the incident knows
        draft = (tmp_path / "postmortems" / f"{state.id}.md").read_text(encoding="utf-8")
        assert "# Postmortem: Payment errors" in draft
        assert "rolled back payment-gateway 1.4.2" in draft and "jiyoung acknowledged" in draft
        assert "| Incident Commander (IC) | jiyoung |" in draft
        assert ledger.postmortem(state.id).markdown == draft
        assert ledger.postmortem(state.id).deadline == state.resolved_at + timedelta(hours=48)
        assert ledger.incident(state.id).phase == Phase.POSTMORTEM
        draft_note = await wait_until(lambda: postmortem_messages(recorder, state.id), "the draft's message")
        assert draft_note[0]["to"] == ["jiyoung"] and str(tmp_path) in draft_note[0]["text"]

        with pytest.raises(WorkflowUpdateFailedError):  # closing skips the postmortem: refused
            await incident.execute_update(IncidentWorkflow.decide, d.Close(by="jiyoung"))

        await time_env.sleep(timedelta(hours=49))
        status = await pm.query(PostmortemWorkflow.status)
        sent = [(r.key, round((r.at - state.resolved_at).total_seconds() / 3600, 2)) for r in status.reminders]
        assert sent == [("remind:1d", 24), ("remind:2h", 46), ("missed", 48)]
        lead = holder(policy.oncall, Tier.TERTIARY, state.resolved_at + timedelta(hours=48))
        notice = next(m for m in postmortem_messages(recorder, state.id) if m["key"].endswith("/missed"))
        assert lead and notice["to"][0] == lead and "missed its 2d deadline" in notice["text"]
        record = ledger.postmortem(state.id)
        assert abs(record.missed_notified_at - (state.resolved_at + timedelta(hours=48))) < timedelta(seconds=1)
        assert record.reminders_sent == 2 and record.on_time(record.missed_notified_at) is False

        published = await pm.execute_update(PostmortemWorkflow.publish, Publish(by="jiyoung", root_cause="Deploy"))
        assert published.status == "published" and published.on_time(published.published_at) is False
        final = await incident.result()
        assert final.phase == Phase.CLOSED
        assert final.timeline[-1].text == "jiyoung published the postmortem; incident closed"
        assert (await pm.result()).published_by == "jiyoung"
        closed = ledger.incident(state.id)
        assert (closed.phase, closed.root_cause_category) == (Phase.CLOSED, "deploy")


async def test_publishing_before_the_deadline_sends_no_notice_and_closes_the_incident(
        time_env, task_queue, recorder, ledger, tmp_path):
    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        incident = await resolved_incident(time_env, task_queue)
        state, pm = await postmortem_of(time_env, incident)
        path = tmp_path / "postmortems" / f"{state.id}.md"
        path.write_text(path.read_text().replace("## What went well\n", "## What went well\nFast rollback.\n"))

        await time_env.sleep(timedelta(hours=30))
        record = await pm.execute_update(PostmortemWorkflow.publish, Publish(by="minsu"))
        assert record.on_time(record.published_at) is True
        assert "Fast rollback." in record.markdown  # the edited file is what gets published

        assert (await incident.result()).phase == Phase.CLOSED
        result = await pm.result()
        assert result.published_by == "minsu"
        with pytest.raises(RPCError):  # published once; the workflow is finished
            await pm.execute_update(PostmortemWorkflow.publish, Publish(by="minsu"))
        status = await pm.query(PostmortemWorkflow.status)
        assert [r.key for r in status.reminders] == ["remind:1d"]
        keys = [m["key"] for m in postmortem_messages(recorder, state.id)]
        assert not any(k.endswith("/missed") for k in keys)
        assert ledger.postmortem(state.id).missed_notified_at is None


async def test_a_severity_without_postmortem_stays_resolved_until_closed(time_env, task_queue, recorder, ledger,
                                                                         tmp_path):
    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        incident = await resolved_incident(time_env, task_queue, severity=Severity.SEV3)
        state = await wait_until(lambda: in_phase(incident, Phase.RESOLVED), "phase resolved", timeout=10)
        await incident.execute_update(IncidentWorkflow.decide, d.Close(by="jiyoung"))
        assert (await incident.result()).phase == Phase.CLOSED
        assert ledger.postmortem(state.id) is None
        assert ledger.incident(state.id).phase == Phase.CLOSED
        phases = [e["phase"] for e in ledger.events(state.id)]
        assert phases[0] == "detected" and phases[-1] == "closed"
