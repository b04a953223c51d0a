"""The escalation clock in Temporal's time-skipping server, table-driven from the shipped policy file."""

from datetime import timedelta

import pytest

from domain.incident import decisions as d
from domain.incident.severity import Role, Severity, Tier
from domain.policy.model import Policy
from testkit.helpers import offsets, running_worker, start_incident
from workflows.incident import IncidentWorkflow

HORIZON = timedelta(hours=5)  # longer than the longest rule (Sev3: 4h)


def expected_pages_unanswered(policy: Policy, severity: Severity) -> list[tuple[str, int]]:
    """What the policy file says should happen when nobody answers: the first page to primary, the
    response deadline to the next tier, then each time rule — a tier already paged is not paged again."""
    level = policy.severity(severity)
    planned = [(0, Tier.PRIMARY)]
    if policy.oncall.escalation.acknowledge_escalates_to_next_tier:
        planned.append((int(level.response_time.total_seconds()), Tier.SECONDARY))
    rules = [r for r in policy.oncall.escalation.rules if severity in r.severities]
    planned += [(int(r.after.total_seconds()), r.tier) for r in rules]
    pages, engaged = [], set()
    for at, tier in sorted(planned, key=lambda p: (p[0], p[1].level)):
        if tier not in engaged:
            engaged.add(tier)
            pages.append((tier.value, at))
    return sorted(pages, key=lambda p: (p[1], Tier(p[0]).level))


def by_time(pages):
    return sorted(pages, key=lambda p: (p[1], Tier(p[0]).level))


@pytest.mark.parametrize("severity", list(Severity))
async def test_unanswered_incident_pages_each_tier_at_its_offset(time_env, policy, recorder, task_queue, severity):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, severity)
        await time_env.sleep(HORIZON)
        state = await handle.query(IncidentWorkflow.snapshot)
    assert by_time(offsets(state.pages, state.detected_at)) == expected_pages_unanswered(policy, severity)
    # exactly one delivery per page at the channel, to the person the timeline names
    delivered = recorder.pages()
    assert sorted((p["tier"], p["target"]) for p in delivered) == sorted((p.tier.value, p.target) for p in state.pages)
    for page in state.pages:
        assert any(f"paged {page.tier.value} {page.target}" in t.text for t in state.timeline)


async def test_sev1_schedule_matches_the_seed(time_env, recorder, task_queue):
    """Spelled out once, independent of the table: seed 000's Sev1 automatic escalation."""
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(hours=2))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert offsets(state.pages, state.detected_at) == [
        ("primary", 0), ("secondary", 5 * 60), ("tertiary", 30 * 60), ("executive", 60 * 60)
    ]
    assert [(e.rule, e.paged) for e in state.escalations] == [
        ("ack-timeout", True), ("sev1-15m", False), ("sev1-30m", True), ("sev0-sev1-1h", True)
    ]


async def test_acknowledging_stops_ack_escalation_but_not_unresolved_escalation(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(minutes=2))
        await handle.execute_update(IncidentWorkflow.decide, d.Acknowledge(by="minsu"))
        await time_env.sleep(timedelta(minutes=40))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert offsets(state.pages, state.detected_at) == [("primary", 0), ("secondary", 15 * 60), ("tertiary", 30 * 60)]
    assert state.acknowledged_by == "minsu" and state.phase.value == "triaged"


async def test_resolving_stops_all_escalation_and_reminders(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(minutes=10))
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="minsu", summary="rolled back"))
        await time_env.sleep(timedelta(hours=3))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert offsets(state.pages, state.detected_at) == [("primary", 0), ("secondary", 5 * 60)]
    assert state.resolved_at is not None
    assert state.phase.value in ("resolved", "postmortem")  # Sev1 requires a postmortem
    assert not [t for t in state.timeline if t.kind == "comms_reminder" and t.at > state.resolved_at]


async def test_raising_sev2_to_sev0_pages_tertiary_at_once(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        await time_env.sleep(timedelta(minutes=20))
        before = await handle.query(IncidentWorkflow.snapshot)
        assert [p.tier.value for p in before.pages] == ["primary", "secondary"]  # secondary at 15m ack deadline
        await handle.execute_update(IncidentWorkflow.decide, d.SetSeverity(severity=Severity.SEV0, by="lead"))
        await time_env.sleep(timedelta(seconds=5))
        state = await handle.query(IncidentWorkflow.snapshot)
    tertiary = [p for p in state.pages if p.tier == Tier.TERTIARY]
    raised = next(t for t in state.timeline if "sev2 → sev0" in t.text)
    assert len(tertiary) == 1
    assert 0 <= (tertiary[0].at - raised.at).total_seconds() < 1


async def test_comms_reminders_every_15_minutes_until_resolved(time_env, policy, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        await handle.execute_update(IncidentWorkflow.decide, d.AssignRole(role=Role.COMMS, to="jiyoung", by="minsu"))
        await time_env.sleep(timedelta(minutes=50))
        await handle.query(IncidentWorkflow.snapshot)  # waits until the worker has processed the timers
        await handle.execute_update(IncidentWorkflow.decide, d.Resolve(by="minsu"))
        await time_env.sleep(timedelta(hours=1))
        state = await handle.query(IncidentWorkflow.snapshot)
    reminders = [round((t.at - state.detected_at).total_seconds() / 60) for t in state.timeline
                 if t.kind == "comms_reminder"]
    assert reminders == [15, 30, 45]
    messages = [r for r in recorder.read() if r["type"] == "message" and r["kind"] == "comms_reminder"]
    assert len(messages) == 3 and all(m["to"] == ["jiyoung"] for m in messages)
    assert "Next update: in 15m" in messages[0]["text"]


async def test_posting_an_update_resets_the_comms_reminder(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        await time_env.sleep(timedelta(minutes=10))
        await handle.execute_update(IncidentWorkflow.decide, d.PostUpdate(by="minsu", message="investigating DB"))
        await time_env.sleep(timedelta(minutes=31))
        state = await handle.query(IncidentWorkflow.snapshot)
    reminders = [round((t.at - state.detected_at).total_seconds() / 60) for t in state.timeline
                 if t.kind == "comms_reminder"]
    assert reminders == [25, 40]


async def test_checklist_nag_at_15_minutes_only_when_items_are_open(time_env, policy, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        open_items = await start_incident(time_env.client, task_queue, Severity.SEV2)
        all_done = await start_incident(time_env.client, task_queue, Severity.SEV2)
        for role in (Role.IC, Role.OPS, Role.COMMS, Role.SCRIBE):
            await all_done.execute_update(IncidentWorkflow.decide, d.AssignRole(role=role, to="minsu", by="minsu"))
        for item in ("impact-scoped", "rollback-checked", "comms-drafted"):
            await all_done.execute_update(IncidentWorkflow.decide, d.CheckItem(item=item, by="minsu"))
        await time_env.sleep(timedelta(minutes=20))
        nagged = await open_items.query(IncidentWorkflow.snapshot)
        quiet = await all_done.query(IncidentWorkflow.snapshot)
    nags = [t for t in nagged.timeline if t.kind == "checklist_nag"]
    assert len(nags) == 1 and round((nags[0].at - nagged.detected_at).total_seconds()) == 15 * 60
    assert "IC 지정" in nags[0].text and "시스템 상태 점검" not in nags[0].text  # situation items: due at 30 m
    assert all(c.done for c in quiet.checklist if c.group != "situation")
    assert not [t for t in quiet.timeline if t.kind == "checklist_nag"]


async def test_escalate_now_pages_the_next_tier_immediately(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV3)
        await time_env.sleep(timedelta(minutes=1))
        await handle.execute_update(IncidentWorkflow.decide, d.EscalateNow(by="minsu", reason="need DB help"))
        await time_env.sleep(timedelta(seconds=5))
        state = await handle.query(IncidentWorkflow.snapshot)
    assert [p.tier.value for p in state.pages] == ["primary", "secondary"]
    assert round((state.pages[1].at - state.detected_at).total_seconds()) == 60
    assert any("escalated manually: need DB help" in t.text for t in state.timeline)
