"""IncidentWorkflow: one durable workflow per incident.

It takes its policy snapshot once (from the start input, or loads it), declares the incident, then loops: ask
the pure planner what is due (domain/incident/planner.py), carry it out, publish what changed, and sleep on a
durable timer until the next deadline or until something happens (a decision, an alert, a page answered).
The machinery lives beside it: incident_effects (activities and timers), incident_views (the room and the
published view), incident_records (search attributes, ledger, postmortem), incident_continuation
(continue-as-new), incident_runbooks (runbook runs) and incident_versions (every patch, docs/upgrading.md).
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.policy_loader import load_policy_snapshot
    from domain.alerts.handling import AlertSnapshot, merge_snapshot
    from domain.comms import messages
    from domain.comms.role_duties import duties_text, with_duties
    from domain.drills.compression import policy_for_incident
    from domain.incident import decision_rules, decisions, planner, snapshots
    from domain.incident.decisions import Decision, DecisionRejected, DecisionResult
    from domain.incident.lifecycle import new_incident
    from domain.incident.phases import Phase
    from domain.incident.state import IncidentStart, IncidentState
    from domain.learning.compliance import postmortem_required
    from domain.policy.model import Policy
    from domain.runbooks.messages import RunbookEvent
    from workflows import incident_versions as versions
    from workflows import metrics
    from workflows.incident_context import Inbox, IncidentContext
    from workflows.incident_continuation import Continuation
    from workflows.incident_effects import Effects
    from workflows.incident_records import IncidentRecords
    from workflows.incident_runbooks import RunbookCoordinator
    from workflows.incident_views import ViewPublisher
    from workflows.options import LOCAL_READ

WORKFLOW_ID_PREFIX = "incident-"


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, start: IncidentStart) -> None:
        self.incident = IncidentContext(start)
        self.inbox = Inbox()
        self.effects = Effects(self.incident)
        self.views = ViewPublisher(self.incident, self.effects)
        self.records = IncidentRecords(self.incident, self.effects)
        self.continuation = Continuation(self.incident, self.effects, self.views)
        self.runbooks = RunbookCoordinator(self.incident, self.effects)
        self.drill_ended = False

    # ── the incident ─────────────────────────────────────────────────────────────────────────────
    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        self._open(await self._policy_snapshot(start))
        incident, state = self.incident, self.incident.state
        self.effects.start(self.runbooks.load())

        while state.phase != Phase.CLOSED and not (self.drill_ended and state.drill):
            self.runbooks.consider()
            plan = planner.plan(incident.policy, state, workflow.now())
            self.effects.carry_out(plan.due)
            if state.phase == Phase.RESOLVED and postmortem_required(incident.policy, state):
                await self.records.start_postmortem()
            self.records.record_phase()
            self.records.publish_search_attributes()
            self.views.publish()
            workflow.set_current_details(state.ui_current_details())  # served by query: no history event
            if plan.due:
                continue  # carrying out actions schedules new ones (the next reminder): plan again first
            incident.changed = False
            if plan.next_at is not None and plan.next_at <= workflow.now():
                continue
            self.effects.wake_at(plan.next_at)
            await workflow.wait_condition(lambda: incident.changed or self.continuation.is_due())
            if not incident.changed:
                self.continuation.continue_as_new()
                await workflow.wait_condition(lambda: incident.changed)

        self.views.publish()
        self.records.record_phase()
        self.runbooks.close()
        self.views.close()
        await asyncio.gather(*self.effects.tasks)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    @staticmethod
    async def _policy_snapshot(start: IncidentStart) -> Policy:
        """The gateway takes the snapshot at the door, so the first workflow task can already page; other
        starters leave it to an activity. The input's copy is dropped: the worker keeps one shared instance
        for all open incidents instead of one each (docs/performance.md)."""
        if start.policy is None:
            policy = await workflow.execute_activity(load_policy_snapshot, start.policy_dir, **LOCAL_READ)
        else:
            policy, start.policy = start.policy, None
        return versions.alert_handling_for(policy_for_incident(snapshots.shared(policy), start))

    def _open(self, policy: Policy) -> None:
        """Declare the incident (or, in a continued run, take it as the previous run left it, nothing re-sent),
        then let in what arrived before."""
        incident, start = self.incident, self.incident.start
        incident.policy = policy
        if start.continued is not None:
            incident.state = start.continued.state
            self.effects.resume(start.continued.dispatched_tiers)
            self.records.resume()
            self.views.resume()
        else:
            incident.state = new_incident(policy, start, workflow.now())
            incident.state.notifies_stakeholders = versions.notifies_stakeholders()
            incident.state.tells_public_contacts = versions.tells_public_contacts()
            incident.state.follows_notification_rules = versions.follows_notification_rules()
            self.records.publish_search_attributes()
            self.effects.send("declared", messages.declaration(policy, incident.state), key="declared")
            if not incident.state.drill:
                self.effects.start(self.views.open_room())
        self.inbox.open()

    # ── decisions and alerts ─────────────────────────────────────────────────────────────────────
    @workflow.update
    async def decide(self, decision: Decision) -> DecisionResult:
        if not self.inbox.is_open:
            # Arrived while the policy snapshot was loading: the validator could not judge it yet.
            await workflow.wait_condition(lambda: self.inbox.is_open)
            try:
                self._validate_decision(decision)
            except DecisionRejected as exc:
                raise ApplicationError(str(exc), type="DecisionRejected", non_retryable=True) from None
        result = with_duties(self.incident.policy, decision,
                             decision_rules.apply(self.incident.state, decision, workflow.now()))
        self._after_decision(decision, result)
        return result

    @decide.validator
    def _validate_decision(self, decision: Decision) -> None:
        decisions.check_from_outside(decision)  # updates come from people; the system's own come as signals
        if self.inbox.is_open:
            decision_rules.check(self.incident.state, decision)
            self.runbooks.check(decision)

    @workflow.signal
    def submit(self, decision: Decision) -> None:
        """Fire-and-forget decisions (e.g. Slack buttons): an invalid one is recorded as rejected."""
        self.inbox.deliver(decision, self._apply_signal)

    @workflow.signal
    def alerts(self, snapshot: AlertSnapshot) -> None:
        """A full snapshot of the incident's alert group (signal-with-start from the gateway)."""
        self.inbox.deliver(snapshot, self._apply_alerts)

    @workflow.signal
    def end_drill(self) -> None:
        """Drills only (DrillWorkflow at the end of the scenario): stop here and return the state."""
        if self.inbox.is_open and not self.incident.state.drill:
            self.incident.state.note(workflow.now(), "rejected", "drill", "end_drill ignored: not a drill")
            return
        self.drill_ended = True
        self.incident.changed = True

    @workflow.signal
    def runbook_event(self, event: RunbookEvent) -> None:
        """Progress of a runbook run (child workflow): lands in the timeline; may ask to escalate."""
        if self.inbox.is_open:
            self.runbooks.on_event(event)

    @workflow.query
    def snapshot(self) -> IncidentState | None:
        return self.incident.state

    def _apply_signal(self, decision: Decision) -> None:
        state = self.incident.state
        try:
            decision_rules.check(state, decision)
            self.runbooks.check(decision)
        except DecisionRejected as exc:
            state.note(workflow.now(), "rejected", decision.by, f"rejected {decision.kind}: {exc}")
            self.incident.changed = True
            return
        self._after_decision(decision, with_duties(self.incident.policy, decision,
                                                   decision_rules.apply(state, decision, workflow.now())))

    def _apply_alerts(self, snapshot: AlertSnapshot) -> None:
        state = self.incident.state
        changes = merge_snapshot(self.incident.policy, state, snapshot, workflow.now())
        if changes.any:
            self.incident.changed = True
            self.effects.send("alert", state.timeline[-1].text, key=f"alert:{len(state.timeline)}")

    def _after_decision(self, decision: Decision, result: DecisionResult) -> None:
        state = self.incident.state
        self.incident.changed = True
        self.runbooks.on_decision(decision)
        if decision.kind == "acknowledge" and not state.drill and state.acknowledged_at:
            metrics.acknowledged(state.acknowledged_at - state.detected_at, state.severity.value)
        if decision.kind in ("add_note", "check_item"):
            return
        given_role = [decision.to] if decision.kind == "assign_role" else None  # mentioned, with their duties
        self.effects.send("decision", duties_text(result), key=f"decision:{len(state.timeline)}", to=given_role)
