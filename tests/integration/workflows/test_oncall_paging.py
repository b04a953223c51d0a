"""Escalation targets come from the rotation at page time (time-skipping server): a handover in the middle
of an incident pages the new holder, a new override reaches a running incident, a gap escalates up."""

import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from adapters.stores.overrides import OverrideStore
from domain.incident.severity import Severity, Tier
from domain.oncall.rotation import Override, holder
from domain.policy.oncall_policy import WEEKDAYS
from testkit.environment import POLICY_DIR
from testkit.helpers import start_incident
from worker import build_worker
from workflows.incident import IncidentWorkflow

SEOUL = ZoneInfo("Asia/Seoul")


def policy_copy(tmp_path: Path, **oncall_changes) -> Path:
    """The shipped policy with parts of the on-call document replaced."""
    directory = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, directory)
    path = directory / "oncall-escalation-policy.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in oncall_changes.items():
        if key == "tiers":
            for tier, members in value.items():
                document["tiers"][tier]["members"] = members
        else:
            document[key] = {**document[key], **value}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return directory


async def test_unacknowledged_sev1_across_the_handover_pages_the_new_holder(time_env, recorder, task_queue, tmp_path,
                                                                           policy):
    # The time-skipping server runs on the real clock, so move the weekly handover to a few minutes from
    # now (the same weekday/time/zone mechanics as Monday 09:00 Seoul): primary is paged before it,
    # the 5-minute secondary escalation after it.
    now = (await time_env.get_current_time()).astimezone(SEOUL)
    handover = (now + timedelta(minutes=3)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    policy_dir = policy_copy(tmp_path, rotation={
        "handover_weekday": WEEKDAYS[handover.weekday()], "handover_time": handover.strftime("%H:%M"),
        "anchor": handover.date().isoformat(), "timezone": "Asia/Seoul",
    })
    async with build_worker(time_env.client, task_queue, [recorder], overrides=OverrideStore(tmp_path)):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1, policy_dir=str(policy_dir))
        await time_env.sleep(timedelta(minutes=20))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")  # a leftover open incident would hold back the next test's clock

    pages = {p.tier: p for p in state.pages}
    # shift -1 before the handover, shift 0 (each tier's first member) from it
    assert pages[Tier.PRIMARY].at < handover and pages[Tier.PRIMARY].target == "seoyeon"
    assert pages[Tier.SECONDARY].at >= handover
    assert pages[Tier.SECONDARY].target == "jiyoung"  # the incoming secondary, not the outgoing minsu
    assert any(e.text.startswith("paged secondary jiyoung (Lee Jiyoung)") for e in state.timeline)
    assert [(p["tier"], p["target"]) for p in recorder.pages()] == [("primary", "seoyeon"), ("secondary", "jiyoung")]


async def test_an_override_added_during_an_incident_is_paged(time_env, recorder, task_queue, tmp_path, policy):
    store = OverrideStore(tmp_path / "data")
    async with build_worker(time_env.client, task_queue, [recorder], overrides=store):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV1)
        await time_env.sleep(timedelta(minutes=1))
        state = await handle.query(IncidentWorkflow.snapshot)
        assert [p.tier for p in state.pages] == [Tier.PRIMARY]
        scheduled = holder(policy.oncall, Tier.SECONDARY, state.detected_at + timedelta(minutes=5))
        cover = next(m for m in policy.oncall.tiers[Tier.SECONDARY].members if m != scheduled)
        store.add(Override(tier=Tier.SECONDARY, who=cover, start=state.detected_at,
                           end=state.detected_at + timedelta(days=1), reason="covering for a sick colleague"))
        await time_env.sleep(timedelta(minutes=10))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")

    secondary = next(p for p in state.pages if p.tier == Tier.SECONDARY)
    assert secondary.target == cover != scheduled
    assert any(f"paged secondary {cover} ({policy.person_name(cover)})" in e.text for e in state.timeline)


async def test_a_tier_nobody_holds_escalates_to_the_next_tier(time_env, recorder, task_queue, tmp_path):
    policy_dir = policy_copy(tmp_path, tiers={"primary": []})
    async with build_worker(time_env.client, task_queue, [recorder], overrides=OverrideStore(tmp_path)):
        handle = await start_incident(time_env.client, task_queue, Severity.SEV2, policy_dir=str(policy_dir))
        await time_env.sleep(timedelta(minutes=1))
        state = await handle.query(IncidentWorkflow.snapshot)
        await handle.terminate("test over")
    assert [(p.tier, round((p.at - state.detected_at).total_seconds())) for p in state.pages] == [
        (Tier.SECONDARY, 0)]
    assert any("nobody holds primary; escalating to secondary" in e.text for e in state.timeline)
    assert [p["tier"] for p in recorder.pages()] == ["secondary"]

