"""Time-skipping: an action item reminds its owner at 09:00 (team time) on the due date, then weekly,
and stops once done."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from activities.learning import LedgerActivities
from domain.incident.lifecycle import new_incident
from domain.incident.state import IncidentStart
from service.action_items import add_action_item, complete_action_item
from worker import build_worker
from workflows.action_item import ActionItemWorkflow, action_workflow_id


def reminders(recorder, item_id):
    return [m for m in recorder.read() if m["type"] == "message" and f"Action item #{item_id} " in m["text"]]


async def test_due_date_reminder_then_weekly_nags_until_done(time_env, task_queue, recorder, ledger, tmp_path,
                                                             policy):
    now = await time_env.get_current_time()
    state = new_incident(policy, IncidentStart(id=f"ai-{task_queue}", title="Payment errors", service="payments",
                                               severity="sev1", declared_by="minsu"), now)
    ledger.record_incident(state, "declared", now)
    zone = ZoneInfo(policy.incident.timezone)
    due = (now.astimezone(zone) + timedelta(days=3)).date()

    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        item = await add_action_item(time_env.client, task_queue, ledger, policy, state.id, "Add payment canary",
                                     "jiyoung", due, "short", "minsu", now)
        handle = time_env.client.get_workflow_handle_for(ActionItemWorkflow.run, action_workflow_id(item))
        status = await handle.query(ActionItemWorkflow.status)
        assert status.next_reminder_at.astimezone(zone).hour == 9
        assert status.next_reminder_at.astimezone(zone).date() == due
        assert reminders(recorder, item.id) == []

        await time_env.sleep(status.next_reminder_at - now + timedelta(minutes=1))
        (first,) = reminders(recorder, item.id)
        assert first["to"] == ["jiyoung"] and "is due today: Add payment canary" in first["text"]
        stored = ledger.action(item.id)
        assert stored.reminders_sent == 1
        assert abs(stored.last_reminded_at - status.next_reminder_at) < timedelta(seconds=1)

        await time_env.sleep(timedelta(days=7))
        nags = reminders(recorder, item.id)
        assert len(nags) == 2 and "is 7 day(s) overdue" in nags[1]["text"]
        assert abs(ledger.action(item.id).last_reminded_at - (status.next_reminder_at + timedelta(days=7))) < (
            timedelta(seconds=1))

        await complete_action_item(time_env.client, ledger, item.id, "jiyoung", now)
        result = await handle.result()
        assert result.done and result.reminders_sent == 2
        await time_env.sleep(timedelta(days=14))
        assert len(reminders(recorder, item.id)) == 2  # no nag after done
        assert ledger.action(item.id).status == "done"
