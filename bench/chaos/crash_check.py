"""Checking an R1 crash run (bench/chaos/crash.py) against the policy: every page it calls for delivered once,
how late each escalation fired after recovery, and how long each restarted worker took to catch up."""

import asyncio
import time

from temporalio.client import Client

from bench.chaos.crash_report import GOAL_SECONDS, CrashReport, UpTimes
from domain.incident.severity import Severity, Tier
from domain.incident.state import IncidentState
from service.incident_reader import run_histories
from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow

ACK_TIMEOUT_RULE = "ack-timeout"


def due_offsets(policy, severity: Severity) -> dict[str, float]:
    """Rule id → seconds after detection, from the policy the worker runs."""
    level = policy.severity(severity)
    offsets = {ACK_TIMEOUT_RULE: level.response_time.total_seconds()}
    offsets.update({r.id: r.after.total_seconds() for r in policy.oncall.escalation.rules if severity in r.severities})
    return offsets


def expected_tiers(policy, severity: Severity) -> set[str]:
    tiers = {Tier.PRIMARY.value}
    if policy.oncall.escalation.acknowledge_escalates_to_next_tier:
        tiers.add(Tier.SECONDARY.value)
    tiers |= {r.tier.value for r in policy.oncall.escalation.rules if severity in r.severities}
    return tiers


async def snapshot(client: Client, incident_id: str, timeout: float = 60) -> IncidentState | None:
    """The incident's state, asked again while no worker answers queries; None after `timeout` seconds."""
    handle = client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return await asyncio.wait_for(handle.query(IncidentWorkflow.snapshot), 15)
        except Exception:
            await asyncio.sleep(1)
    return None


async def check(client, ids, policy, offsets, recorder, uptimes, report) -> None:
    delivered: dict[tuple[str, str], list[dict]] = {}
    tiers = expected_tiers(policy, Severity.SEV1)
    deadline = time.monotonic() + 60
    states: dict[str, IncidentState | None] = {}
    while True:  # a page due right at the end may still be on its way
        states = {i: await snapshot(client, i) for i in ids}
        if all(s is not None and {p.tier.value for p in s.pages} >= tiers for s in states.values()):
            break
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(2)  # nothing more may arrive
    for record in recorder.pages():
        delivered.setdefault((record["incident_id"], record["tier"]), []).append(record)
    for incident_id, state in states.items():
        if state is None:
            report.lost_incidents.append(incident_id)
            continue
        detected = state.detected_at.timestamp()
        for tier in sorted(tiers):
            report.expected_pages += 1
            got = delivered.get((incident_id, tier), [])
            if not got:
                report.missing_pages.append(f"{incident_id}/{tier}")
                continue
            if len(got) > 1:
                report.duplicate_pages.append(f"{incident_id}/{tier} ×{len(got)}")
            page = next((p for p in state.pages if p.tier.value == tier), None)
            record = got[0]
            due = detected if tier == Tier.PRIMARY.value else None
            if page is not None and due is None:
                rule = next((e.rule for e in state.escalations if e.paged and e.tier.value == tier), ACK_TIMEOUT_RULE)
                due = detected + offsets[rule]
            if due is not None and tier != Tier.PRIMARY.value:
                effective, worker_was_up = uptimes.effective_due(due, record["recorded_at"])
                report.pages_while_worker_down += not worker_was_up
                report.delivery_lateness_seconds.append(record["recorded_at"] - effective)
        for escalation in state.escalations:  # when the workflow decided, whether or not it paged
            due, fired = detected + offsets[escalation.rule], escalation.at.timestamp()
            effective, worker_was_up = uptimes.effective_due(due, fired)
            report.lateness_seconds.append(fired - effective)
            if fired - effective > GOAL_SECONDS:
                report.late_escalations.append(f"{incident_id}/{escalation.rule}: {fired - effective:.2f} s after "
                                               + ("its time" if worker_was_up else "the restarted worker was ready"))
            report.escalations_due_in_kill_grace += uptimes.in_kill_grace(due, fired)
        report.delivered_pages += sum(len(delivered.get((incident_id, t), [])) for t in tiers)
    extra = {key for key in delivered if key[0] in states and key[1] not in tiers}
    report.duplicate_pages += [f"{i}/{t} (unexpected tier)" for i, t in sorted(extra)]


async def catch_up(client: Client, ids: list[str], uptimes: UpTimes, report: CrashReport) -> None:
    """Per restart, from the histories: seconds from 'ready' until every workflow task that was already waiting
    for a worker then (timer fired, activity done, update arrived while none was up, or started by the killed
    worker and left to time out) had completed. Longer than the worker's up-time: the next kill came first."""
    restarts = uptimes.intervals[1:]
    done_by: list[float] = [ready for ready, _ in restarts]
    for incident_id in ids:
        pending_since = None
        for event in (e for run in await run_histories(client, WORKFLOW_ID_PREFIX + incident_id) for e in run.events):
            at = event.event_time.ToNanoseconds() / 1e9
            if event.HasField("workflow_task_scheduled_event_attributes") and pending_since is None:
                pending_since = at
            elif event.HasField("workflow_task_completed_event_attributes") and pending_since is not None:
                for i, (ready, _) in enumerate(restarts):
                    if pending_since < ready <= at:
                        done_by[i] = max(done_by[i], at)
                pending_since = None
    for (ready, killed), done in zip(restarts, done_by, strict=True):
        report.catch_up_seconds.append(done - ready)
        report.kills_before_caught_up += done > killed
