"""PeriodicCheckWorkflow on the time-skipping server with a real ledger (SQLite and PostgreSQL): through a whole
week it posts the check due at the week's start, a reminder 2 days before its end and the missed notice at the
end, each to the tertiary on-call; a completion recorded in between stops the reminder and the notice."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from temporalio.api.enums.v1 import EventType

from activities.learning import LedgerActivities
from domain.learning.periodic import period_at
from testkit.polling import wait_until
from worker import build_worker
from workflows.periodic import PeriodicCheckJob, PeriodicCheckWorkflow

TITLE = "주간 인시던트 통계 분석 (weekly incident statistics) (weekly-stats)"
RECORD = "`incident periodic done weekly-stats --period {label} --by <you> --notes \"…\"`"


def notices(recorder) -> list[dict]:
    return [r for r in recorder.read() if r["type"] == "message" and r["key"].startswith("periodic/")]


async def next_week(time_env, policy):
    now = await time_env.get_current_time()
    return period_at("week", now + timedelta(days=7), policy.incident.timezone)


async def notice_times(handle) -> list:
    """When each notification activity was scheduled (workflow time)."""
    return [e.event_time.ToDatetime().replace(tzinfo=ZoneInfo("UTC")) async for e in handle.fetch_history_events()
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name == "notify"]


async def test_a_week_without_the_check_gets_due_reminder_and_missed(ledger, policy, tmp_path, time_env, recorder,
                                                                     task_queue):
    week = await next_week(time_env, policy)
    last_day = f"{week.end - timedelta(days=1):%a %Y-%m-%d}"
    owner = "Owner: tertiary on-call SRE Team Lead (@game-sre-lead) (@sre-lead)."
    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        handle = await time_env.client.start_workflow(
            PeriodicCheckWorkflow.run, PeriodicCheckJob(item="weekly-stats", period=week.label),
            id=f"periodic-{task_queue}", task_queue=task_queue)
        outcome = await handle.result()
        sent_at = await notice_times(handle)
    assert (outcome.period, outcome.status, outcome.notices) == (week.label, "missed", ["due", "reminder", "missed"])
    due, reminder, missed = notices(recorder)
    assert [n["to"] for n in (due, reminder, missed)] == [["sre-lead"]] * 3
    assert due["text"] == (f"📋 Periodic check due: {TITLE} for {week.label}, by {last_day} (Asia/Seoul). {owner} "
                           f"When done: {RECORD.format(label=week.label)}.")
    assert reminder["text"] == (f"⏰ Reminder: {TITLE} for {week.label} is not done yet; the period ends {last_day} "
                                f"(Asia/Seoul). {owner} Record it: {RECORD.format(label=week.label)}.")
    assert missed["text"] == (f"❌ Periodic check missed: {TITLE} was not done in {week.label}; the period ended "
                              f"{last_day} (Asia/Seoul). {owner} A late completion can still be recorded: "
                              f"{RECORD.format(label=week.label)}.")
    expected = [week.start, week.end - timedelta(days=2), week.end]
    assert all(abs(got - want) < timedelta(minutes=1) for got, want in zip(sent_at, expected, strict=True)), sent_at


async def test_a_completion_recorded_in_between_stops_the_reminder(ledger, policy, tmp_path, time_env, recorder,
                                                                   task_queue):
    week = await next_week(time_env, policy)
    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(ledger, tmp_path)):
        handle = await time_env.client.start_workflow(
            PeriodicCheckWorkflow.run, PeriodicCheckJob(item="weekly-stats", period=week.label),
            id=f"periodic-{task_queue}", task_queue=task_queue)
        await time_env.sleep(week.start + timedelta(hours=1) - await time_env.get_current_time())
        await wait_until(lambda: notices(recorder), "the due notice")
        done_at = await time_env.get_current_time()
        ledger.add_periodic({"item": "weekly-stats", "period": week.label, "completed_at": done_at,
                             "completed_by": "minsu", "notes": "3 incidents", "recorded_by": "minsu",
                             "recorded_at": done_at})
        outcome = await handle.result()
    assert (outcome.status, outcome.notices) == ("done", ["due"])
    assert [n["key"] for n in notices(recorder)] == [f"periodic/weekly-stats/{week.label}/due"]
