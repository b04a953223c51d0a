"""Seed 000's situation checklist (시스템 상태 점검, 영향 범위 평가, 복구 계획 수립, 스테이크홀더 통지) is part of the
incident's checklist beside seed 004's first 15 minutes: due at 30 minutes, checked like the others, left out of
the 15-minute nag; a Sev0's stakeholder notices (and a public incident's notice to customer support) check
스테이크홀더 통지 by themselves."""

from datetime import timedelta

from domain.incident import decisions as d
from domain.incident.severity import Severity
from domain.learning.compliance import compliance
from service.incidents import _state_fields
from testkit.helpers import running_worker, start_incident
from workflows.incident import IncidentWorkflow

SITUATION = ["status-checked", "impact-assessed", "recovery-planned", "stakeholders-notified"]


async def test_the_situation_items_are_checked_beside_the_first_15_minutes(time_env, policy, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2)
        await handle.execute_update(IncidentWorkflow.decide, d.CheckItem(item="status-checked", by="minsu"))
        await time_env.sleep(timedelta(minutes=20))
        await handle.execute_update(IncidentWorkflow.decide, d.CheckItem(item="impact-assessed", by="jiyoung"))
        await time_env.sleep(timedelta(minutes=15))
        await handle.execute_update(IncidentWorkflow.decide, d.CheckItem(item="recovery-planned", by="jiyoung"))
        state = await handle.query(IncidentWorkflow.snapshot)
    shown = {c["item"]: c for c in _state_fields(state)["checklist"]}  # `incident show --json`
    assert [item for item, c in shown.items() if c["group"] == "situation"] == SITUATION
    assert {"ic-named", "impact-scoped", "timeline-started"} <= set(shown)  # seed 004's first 15 minutes stay
    assert shown["status-checked"]["within_seconds"] == 30 * 60 and shown["status-checked"]["by"] == "minsu"
    assert shown["stakeholders-notified"]["done"] is False  # a Sev2 (not public) tells nobody: checked by hand
    [nag] = [t for t in state.timeline if t.kind == "checklist_nag"]
    assert "IC 지정" in nag.text and not any(word in nag.text for word in ("시스템 상태", "복구 계획", "스테이크홀더"))
    steps = {s.item: s for s in compliance(policy, state, None, state.detected_at + timedelta(hours=1)).steps}
    assert (steps["status-checked"].ok, steps["impact-assessed"].ok) == (True, True)
    assert steps["recovery-planned"].ok is False and steps["recovery-planned"].detail == "5m late"
    assert steps["stakeholders-notified"].ok is False and steps["stakeholders-notified"].detail == "not done"


async def test_a_sev0_checks_stakeholders_notified_when_the_notices_went_out(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV0, service="game-servers")
        await time_env.sleep(timedelta(minutes=1))
        state = await handle.query(IncidentWorkflow.snapshot)
    item = next(c for c in state.checklist if c.item == "stakeholders-notified")
    assert (item.done, item.by, item.at) == (True, "incidentflow", state.notifications[-1].at)
    assert len(state.notifications) == 5  # the CTO, three team leads and (Sev0 is public) the customer-support lead


async def test_a_public_sev1_checks_it_once_customer_support_is_told(time_env, recorder, task_queue):
    async with running_worker(time_env.client, task_queue, recorder):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(minutes=1))
        state = await handle.query(IncidentWorkflow.snapshot)
    item = next(c for c in state.checklist if c.item == "stakeholders-notified")
    assert [n.to for n in state.notifications] == ["customer-support-lead"] and item.done
