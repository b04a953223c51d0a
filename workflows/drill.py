"""DrillWorkflow: plays a scenario through the real IncidentWorkflow (as a child, `drill=True`, so every page
and message goes to the drill transcript), injects the scripted events at their offsets, ends the drill
incident when the scenario's time is up and returns the scorecard.

Instant drills run on the time-skipping test server (a 48-hour scenario takes seconds); live drills run on
the real stack with `speed` N: injections come N times sooner and the incident's policy clocks are divided
by N (see domain.drills.compression.compress_policy); with `autoplay_decisions` off, people make the decisions.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.policy_loader import load_policy_snapshot
    from domain.drills import playback
    from domain.drills.playback import DrillProgress, DrillRequest
    from domain.drills.scorecard import Scorecard
    from domain.drills.scoring import scorecard
    from workflows.incident import WORKFLOW_ID_PREFIX, IncidentWorkflow
    from workflows.options import LOCAL_READ

DRILL_ID_PREFIX = "drill-run-"


@workflow.defn
class DrillWorkflow:
    def __init__(self) -> None:
        self._request: DrillRequest | None = None
        self._played = 0

    @workflow.run
    async def run(self, request: DrillRequest) -> Scorecard:
        self._request = request
        scenario = request.scenario
        started = workflow.now()
        self._started = started
        start = playback.incident_start(scenario, request.incident_id, request.policy_dir, request.speed)
        child = await workflow.start_child_workflow(
            IncidentWorkflow.run, start, id=WORKFLOW_ID_PREFIX + request.incident_id,
            static_summary=f"DRILL {scenario.name}"[:200],
        )
        alerts = playback.initial_alerts(scenario)
        for event in scenario.ordered_events():
            if not await self._sleep_until(started + event.at / request.speed, child):
                break
            self._played += 1
            if event.decision is not None:
                if request.autoplay_decisions:
                    await child.signal(IncidentWorkflow.submit, event.decision)
            else:
                await child.signal(IncidentWorkflow.alerts, playback.apply_alert_event(alerts, event, workflow.now()))
        if await self._sleep_until(started + scenario.length / request.speed, child):
            with contextlib.suppress(ApplicationError):
                await child.signal(IncidentWorkflow.end_drill)
        state = await child
        policy = await workflow.execute_activity(load_policy_snapshot, request.policy_dir, **LOCAL_READ)
        if scenario.roster:
            policy = policy.with_roster(scenario.roster)
        tolerance = timedelta(seconds=2 * request.speed) if request.live else None
        return scorecard(scenario, state, started, policy, speed=request.speed,
                         mode="live" if request.live else "instant", tolerance=tolerance,
                         autoplay=request.autoplay_decisions)

    async def _sleep_until(self, when, child) -> bool:
        """Sleep until `when`; False when the incident ended first (people closed it in a live drill)."""
        wait = when - workflow.now()
        if wait > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(child.done, timeout=wait)
        return not child.done()

    @workflow.query
    def progress(self) -> DrillProgress | None:
        request = self._request
        if request is None:
            return None
        events = request.scenario.ordered_events()
        upcoming = events[self._played] if self._played < len(events) else None
        next_in = None
        if upcoming is not None:
            next_in = max(0.0, ((self._started + upcoming.at / request.speed) - workflow.now()).total_seconds())
        return DrillProgress(incident_id=request.incident_id, events_played=self._played,
                             events_total=len(events), next_event=upcoming.what if upcoming else None,
                             next_event_in_seconds=next_in)
