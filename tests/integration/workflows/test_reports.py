"""Reports from a real ledger (SQLite and PostgreSQL) filled with the hand-computed fixture: the Markdown's
numbers match testkit/learning.py and the chart is a valid PNG."""

from datetime import date, timedelta

import pytest
from PIL import Image

from adapters.report_files import write_report
from domain.incident.records import PostmortemRecord
from domain.learning.reports import parse_period
from testkit.learning import NOW, PERIOD, ROOT_CAUSES, fixture_states


@pytest.fixture
def filled(ledger, policy):
    states = fixture_states(policy)
    for state in states.values():
        ledger.record_incident(state, "fixture", state.detected_at)
    for incident_id, cause in ROOT_CAUSES.items():
        ledger.set_root_cause(incident_id, cause, None)
    for incident_id in ("A", "C"):
        state = states[incident_id]
        ledger.save_draft(PostmortemRecord(incident_id=incident_id, owner="jiyoung", drafted_at=state.resolved_at,
                                           deadline=state.resolved_at + timedelta(hours=48), markdown="# pm"))
    ledger.publish_postmortem("A", "jiyoung", states["A"].resolved_at + timedelta(hours=20), "# pm A")
    ledger.add_action("C", "Canary payment deploys", "jiyoung", date(2026, 11, 20), "short", "minsu", NOW)
    done = ledger.add_action("A", "Autoscale fleet", "minsu", date(2026, 11, 30), "mid", "minsu", NOW)
    ledger.complete_action(done.id, "minsu", NOW - timedelta(days=2))
    return ledger


def test_weekly_report_numbers_match_the_fixture_and_the_chart_is_a_png(filled, policy, tmp_path):
    period = parse_period("weekly", PERIOD, policy.incident.timezone, NOW)
    written = write_report(filled, policy, period, tmp_path, NOW)
    md = (tmp_path / "incident-review-2026-W47.md").read_text(encoding="utf-8")
    assert md == written.markdown
    lines = md.splitlines()

    assert "5 incident(s); drills excluded: 1." in md
    assert "| sev0 | 2 | 2 | 1m30s | 2m | 15m |" in lines
    assert "| sev1 | 2 | 1 | 5m | 2m | 40m |" in lines
    assert "| sev2 | 1 | 1 | 10m | 5m | 1h |" in lines
    assert "| sev3 | 0 | 0 | – | – | – |" in lines
    assert "| MTTD | sev0 | 1m30s | ≤ 1m | ❌ fail |" in lines
    assert "| MTTR | sev0 | 15m | ≤ 15m | ✅ pass |" in lines
    assert "| MTTR | sev1 | 40m | ≤ 30m | ❌ fail |" in lines
    assert "| MTBF | per service | 27.0d | ≥ 30.0d | ❌ fail |" in lines
    assert "| Recurrence rate | all | 40% | < 10% | ❌ fail |" in lines
    assert "| payments | 2 | 39.5d |" in lines and "| friends | 1 | – |" in lines
    assert "- `B` recurs `A` (alert GameServerDown on game-servers)" in lines
    assert "- `C` recurs `G` (root-cause category deploy)" in lines
    assert "**missed deadline: 1**" in md and "  - ❗ `C`: deadline missed, still unpublished" in lines
    assert "- required: 2 · on time: 1 · late: 0 · pending: 0 · **missed deadline: 1**" in lines
    assert "- open: 1 · overdue: 1 · done in period: 1" in lines
    # compliance: A 3/14 (postmortem on time), B 2/13, C 2/14 (postmortem missed), E 3/13 (IC named) → 19%
    # (the four situation items of seed 000 are never done in the fixture)
    assert "## Procedure compliance: 19%" in lines
    assert "| IC named on time | 1/4 | 25% |" in lines
    assert "| postmortem within deadline | 1/2 | 50% |" in lines
    assert "| 2026-W47 | 5 |" in lines and "| 2026-W36 | 0 |" not in lines
    assert written.report.weekly_counts[-1].count == 5

    image = Image.open(tmp_path / "incident-review-2026-W47.png")
    image.verify()
    assert image.format == "PNG" and image.size == (1100, 420)
    assert "![MTTR per severity against target, incidents per week](incident-review-2026-W47.png)" in lines


def test_a_period_without_incidents_reports_no_data_instead_of_failing(filled, policy, tmp_path):
    period = parse_period("monthly", "2026-10", policy.incident.timezone, NOW)
    written = write_report(filled, policy, period, tmp_path, NOW)
    assert "0 incident(s)" in written.markdown
    assert "| MTTR | sev0 | – | ≤ 15m | – no data |" in written.markdown.splitlines()
    Image.open(written.chart_path).verify()


@pytest.mark.parametrize(("kind", "text", "problem"), [
    ("weekly", "2026-47", "a weekly period looks like 2026-W47"), ("weekly", "2026-W54", "no such ISO week"),
    ("monthly", "2026-13", "a monthly period looks like 2026-11"),
])
def test_bad_periods_are_named(policy, kind, text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_period(kind, text, policy.incident.timezone, NOW)


async def test_review_bot_writes_the_weekly_review_and_posts_it(filled, policy, tmp_path, time_env, recorder,
                                                                task_queue):
    from activities.learning import LedgerActivities
    from worker import build_worker
    from workflows.review import ReviewJob, ReviewWorkflow

    async with build_worker(time_env.client, task_queue, [recorder], learning=LedgerActivities(filled, tmp_path)):
        written = await time_env.client.execute_workflow(
            ReviewWorkflow.run, ReviewJob(kind="weekly", period=PERIOD), id=f"review-{task_queue}",
            task_queue=task_queue,
        )
    assert written.markdown_path.endswith("reports/incident-review-2026-W47.md")
    assert Image.open(written.chart_path).format == "PNG"
    posted = [r for r in recorder.read() if r["type"] == "message" and r["kind"] == "report"]
    assert len(posted) == 1
    assert "## Procedure compliance: 19%" in posted[0]["text"] and "**missed deadline: 1**" in posted[0]["text"]


def test_previous_period_is_the_one_that_just_ended():
    from datetime import UTC, datetime

    from domain.learning.reports import previous_period_label

    monday_0900_seoul = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert previous_period_label("weekly", monday_0900_seoul, "Asia/Seoul") == "2026-W47"
    assert previous_period_label("monthly", datetime(2026, 12, 1, 0, 0, tzinfo=UTC), "Asia/Seoul") == "2026-11"
