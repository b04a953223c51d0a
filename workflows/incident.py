"""IncidentWorkflow: one durable workflow per incident.

It takes its policy snapshot once (from the start input, or loads it), then loops: ask the pure planner
what is due, carry it out, sleep on a durable timer until the next deadline or until something changes (a
decision, an alert). Pages and messages run as concurrent activities so that one slow channel never holds
back an escalation timer.
"""

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.learning import LedgerActivities, LedgerEvent
    from activities.notify import NotificationActivities
    from activities.policy_loader import load_policy_snapshot
    from domain.alerts.handling import AlertSnapshot, merge_snapshot
    from domain.alerts.policy import ALERTS_AS_BEFORE
    from domain.comms import messages
    from domain.comms import view as comms
    from domain.comms.notifications import Notification, NotificationKind, PageRequest, StepApproval
    from domain.drills.drill import policy_for_incident
    from domain.incident import decisions, planner, snapshots
    from domain.incident.continuation import should_continue_as_new
    from domain.incident.decisions import Decision, DecisionRejected, DecisionResult
    from domain.incident.lifecycle import new_incident
    from domain.incident.phases import Phase
    from domain.incident.severity import Tier
    from domain.incident.state import Escalation, IncidentContinuation, IncidentStart, IncidentState, Page
    from domain.learning.compliance import postmortem_required
    from domain.policy.model import Policy
    from domain.runbooks.runbook import RunbookEvent
    from workflows import metrics, search
    from workflows.options import DELIVERY, LEDGER, LOCAL_READ, VIEW_RETRY_FIRST, VIEW_RETRY_MAX, retry_delay
    from workflows.postmortem import PostmortemStart, PostmortemWorkflow, postmortem_workflow_id
    from workflows.runbook import RunbookCoordinator

WORKFLOW_ID_PREFIX = "incident-"
TIER_CLAIMED_WHEN_PLANNED = "tier-claimed-when-planned"  # workflow.patched ids (docs/upgrading.md)
DRILL_MESSAGES_IN_TIMELINE = "drill-messages-in-timeline"
VIEWS_FROM_ONE_WAITING_TASK = "views-from-one-waiting-task"
CONTINUE_AS_NEW_WHEN_LONG = "continue-as-new-when-long"
ALERTS_RECOVER_AND_REFIRE = "alerts-recover-and-refire"  # the acknowledgement pause, reopening on a refire


@workflow.defn
class IncidentWorkflow:
    def __init__(self) -> None:
        self.state: IncidentState | None = None
        self.policy: Policy | None = None
        self._changed = False
        self._early_signals: list[Decision | AlertSnapshot] = []
        self._dispatched_tiers: set[Tier] = set()
        self._tasks: list[asyncio.Task] = []
        self._timers: set = set()  # deadlines that already have a durable timer
        self._published: tuple | None = None
        self._drill_ended = False
        self._view_latest: comms.IncidentView | None = None
        self._view_sent: comms.IncidentView | None = None
        self._view_draining = False
        self._view_publisher: bool | None = None  # patched: one task that waits for each new view
        self._view_task: asyncio.Task | None = None
        self._closing = False
        self._runbooks = RunbookCoordinator(self)
        self._recorded: tuple | None = None  # (phase, severity) last written to the ledger
        # Start-up side effects (declaration, room, runbooks) wait here until the first plan's page is
        # scheduled, so the page is the first activity the worker picks up (docs/performance.md).
        self._held: list | None = []
        self._start_input: IncidentStart | None = None
        self._may_continue_as_new = True  # False in runs that predate CONTINUE_AS_NEW_WHEN_LONG

    # ── main loop ────────────────────────────────────────────────────────────────────────────────
    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        self.policy = policy_for_incident(snapshots.shared(await self._policy_snapshot(start)), start)
        if not workflow.patched(ALERTS_RECOVER_AND_REFIRE):  # replaying an incident begun before them
            self.policy = self.policy.model_copy(update={"incident": self.policy.incident.model_copy(
                update={"alerts": ALERTS_AS_BEFORE})})
        self._start_input = start
        if start.continued is not None:
            self._resume(start.continued)
        else:
            self.state = new_incident(self.policy, start, workflow.now())
            self._publish_search_attributes()
            self._send("declared", messages.declaration(self.policy, self.state), key="declared")
            if not self.state.drill:
                self._start(self._open_room())
        for early in self._early_signals:
            if isinstance(early, AlertSnapshot):
                self._apply_alerts(early)
            else:
                self._apply_signal(early)
        self._start(self._runbooks.load(start, report_problems=start.continued is None))

        while self.state.phase != Phase.CLOSED and not (self._drill_ended and self.state.drill):
            self._runbooks.consider()
            plan = planner.plan(self.policy, self.state, workflow.now())
            startup, self._held = self._held or [], None
            for action in plan.due:
                self.state.fired.append(action.key)
                self._carry_out(action)
            for coroutine in startup:
                self._start(coroutine)
            if self.state.phase == Phase.RESOLVED and postmortem_required(self.policy, self.state):
                await self._start_postmortem()
            self._record_phase()
            self._publish_search_attributes()
            self._publish_view()
            workflow.set_current_details(self.state.ui_current_details())  # served by query: no history event
            if plan.due:
                continue  # carrying out actions schedules new ones (the next reminder): plan again first
            self._changed = False
            if plan.next_at is not None and plan.next_at <= workflow.now():
                continue
            self._wake_at(plan.next_at)
            await workflow.wait_condition(lambda: self._changed or self._time_to_continue_as_new())
            if not self._changed:
                # Replaying a run from before this change, the marker is absent: wait as that run did.
                if workflow.patched(CONTINUE_AS_NEW_WHEN_LONG):
                    self._continue_as_new()
                self._may_continue_as_new = False
                await workflow.wait_condition(lambda: self._changed)

        self._publish_view()
        self._record_phase()
        self._runbooks.close()
        self._closing = True  # the view publisher ends once the last view is out
        await asyncio.gather(*self._tasks)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # ── continue-as-new: a long history starts again from the state (domain/incident/continuation.py) ───────
    def _time_to_continue_as_new(self) -> bool:
        if not self._may_continue_as_new:
            return False
        info = workflow.info()
        quiet = (self._view_latest == self._view_sent and workflow.all_handlers_finished()
                 and all(task.done() for task in self._tasks if task is not self._view_task))
        return should_continue_as_new(info.get_current_history_length(), info.is_continue_as_new_suggested(),
                                      quiet, self.state.drill)

    def _continue_as_new(self) -> None:
        for task in self._tasks:
            if task.done():
                task.result()  # a side effect that failed fails the incident, as it would at the end
        carried = IncidentContinuation(state=self.state, dispatched_tiers=sorted(self._dispatched_tiers))
        workflow.continue_as_new(self._start_input.model_copy(
            update={"policy": self.policy, "alerts": [], "continued": carried}))

    def _resume(self, carried: IncidentContinuation) -> None:
        """The first task of a continued run: the incident as the previous run left it, nothing re-sent. Its
        view was published (runs continue only when nothing is in flight) and its ledger row is current."""
        self.state, self._dispatched_tiers, self._held = carried.state, set(carried.dispatched_tiers), None
        self._recorded = (self.state.phase, self.state.severity)
        if not self.state.drill:
            self._view_latest = self._view_sent = comms.build_view(self.policy, self.state, workflow.now())

    @staticmethod
    async def _policy_snapshot(start: IncidentStart) -> Policy:
        """The gateway takes the snapshot at the door, so the first workflow task can already page; other
        starters leave it to an activity. The input's copy is dropped: the worker keeps one shared instance
        for all open incidents instead of one each (docs/performance.md)."""
        if start.policy is None:
            return await workflow.execute_activity(load_policy_snapshot, start.policy_dir, **LOCAL_READ)
        policy, start.policy = start.policy, None
        return policy

    # ── decisions ────────────────────────────────────────────────────────────────────────────────
    @workflow.update
    async def decide(self, decision: Decision) -> DecisionResult:
        if self.state is None:
            # Arrived while the policy snapshot was loading: the validator could not judge it yet.
            await workflow.wait_condition(lambda: self.state is not None)
            try:
                decisions.check_from_outside(decision)
                decisions.check(self.state, decision)
                self._runbooks.check(decision)
            except DecisionRejected as exc:
                raise ApplicationError(str(exc), type="DecisionRejected", non_retryable=True) from None
        result = decisions.apply(self.state, decision, workflow.now())
        self._after_decision(decision, result)
        return result

    @decide.validator
    def _validate_decision(self, decision: Decision) -> None:
        decisions.check_from_outside(decision)  # updates come from people; the system's own come as signals
        if self.state is not None:
            decisions.check(self.state, decision)
            self._runbooks.check(decision)

    @workflow.signal
    def submit(self, decision: Decision) -> None:
        """Fire-and-forget decisions (e.g. Slack buttons): an invalid one is recorded as rejected."""
        if self.state is None:
            self._early_signals.append(decision)
        else:
            self._apply_signal(decision)

    @workflow.signal
    def alerts(self, snapshot: AlertSnapshot) -> None:
        """A full snapshot of the incident's alert group (signal-with-start from the gateway)."""
        if self.state is None:
            self._early_signals.append(snapshot)
        else:
            self._apply_alerts(snapshot)

    @workflow.signal
    def end_drill(self) -> None:
        """Drills only (DrillWorkflow at the end of the scenario): stop here and return the state."""
        if self.state is not None and not self.state.drill:
            self.state.note(workflow.now(), "rejected", "drill", "end_drill ignored: not a drill")
            return
        self._drill_ended = True
        self._changed = True

    @workflow.signal
    def runbook_event(self, event: RunbookEvent) -> None:
        """Progress of a runbook run (child workflow): lands in the timeline; may ask to escalate."""
        if self.state is not None:
            self._runbooks.on_event(event)

    @workflow.query
    def snapshot(self) -> IncidentState | None:
        return self.state

    def _apply_signal(self, decision: Decision) -> None:
        try:
            decisions.check(self.state, decision)
            self._runbooks.check(decision)
        except DecisionRejected as exc:
            self.state.note(workflow.now(), "rejected", decision.by, f"rejected {decision.kind}: {exc}")
            self._changed = True
            return
        self._after_decision(decision, decisions.apply(self.state, decision, workflow.now()))

    def _apply_alerts(self, snapshot: AlertSnapshot) -> None:
        changes = merge_snapshot(self.policy, self.state, snapshot, workflow.now())
        if changes.any:
            self._changed = True
            self._send("alert", self.state.timeline[-1].text, key=f"alert:{len(self.state.timeline)}")

    def _after_decision(self, decision: Decision, result: DecisionResult) -> None:
        self._changed = True
        self._runbooks.on_decision(decision)
        if decision.kind == "acknowledge" and not self.state.drill and self.state.acknowledged_at:
            metrics.acknowledged(self.state.acknowledged_at - self.state.detected_at, self.state.severity.value)
        if decision.kind in ("add_note", "check_item"):
            return
        self._send("decision", result.text, key=f"decision:{len(self.state.timeline)}")

    # ── carrying out planned actions ─────────────────────────────────────────────────────────────
    def _carry_out(self, action: planner.Action) -> None:
        state = self.state
        now = workflow.now()
        if action.kind == "page":
            self._start(self._page(action.tier, action.reason, action.key))
        elif action.kind == "repage":
            who = self.policy.person_name(action.person) if action.person else f"the {action.tier.value} on call"
            state.note(now, "escalation", "incidentflow", f"{action.reason} → paging {who} again")
            self._send("escalation", state.timeline[-1].text, key=action.key)
            self._start(self._page(action.tier, action.reason, action.key, person=action.person))
        elif action.kind == "escalation":
            engaged = action.tier in self._dispatched_tiers
            if not engaged and workflow.patched(TIER_CLAIMED_WHEN_PLANNED):
                # claim the tier now, not when the page task first runs: two rules for one tier due in the
                # same plan (a worker down past both deadlines) would otherwise page it twice
                self._dispatched_tiers.add(action.tier)
            state.escalations.append(Escalation(rule=action.rule, tier=action.tier, at=now, paged=not engaged))
            if not state.drill:
                metrics.escalation_fired(action.rule, action.tier.value, not engaged, state.severity.value)
            if engaged:
                state.note(now, "escalation", "incidentflow",
                           f"{action.rule}: {action.reason}; {action.tier.value} already engaged")
            else:
                state.note(now, "escalation", "incidentflow",
                           f"{action.rule}: {action.reason} → paging {action.tier.value}")
                self._send("escalation", state.timeline[-1].text, key=action.key)
                self._start(self._page(action.tier, action.reason, action.key))
        elif action.kind == "comms_reminder":
            owner = state.roles.comms or state.roles.ic or state.holder_of_tier(Tier.PRIMARY)
            state.note(now, "comms_reminder", "incidentflow", f"internal update due; reminded {owner or 'channel'}")
            text = "⏰ Internal update due.\n" + messages.internal_update(self.policy, state)
            self._send("comms_reminder", text, key=action.key, to=[owner] if owner else [])
        elif action.kind == "checklist_nag":
            open_items = [c.text for c in state.checklist if not c.done]
            owner = state.roles.ic or state.holder_of_tier(Tier.PRIMARY)
            state.note(now, "checklist_nag", "incidentflow", "open checklist items: " + "; ".join(open_items))
            text = "📋 First-15-minutes checklist still open:\n" + "\n".join(f"- [ ] {t}" for t in open_items)
            self._send("checklist_nag", text, key=action.key, to=[owner] if owner else [])

    async def _page(self, tier: Tier, reason: str, key: str, person: str | None = None) -> None:
        """Page whoever holds `tier` now (or `person`); a tier nobody holds escalates to the next one up."""
        state = self.state
        current: Tier | None = tier
        while current is not None:
            self._dispatched_tiers.add(current)
            request = PageRequest(
                key=f"{workflow.info().workflow_id}/{workflow.info().run_id}/{key}/{current.value}",
                incident_id=state.id, title=state.title, service=state.service, severity=state.severity,
                tier=current, reason=reason, drill=state.drill, at=workflow.now(), oncall=self.policy.oncall,
                person=person,
            )
            outcome = await workflow.execute_activity_method(
                NotificationActivities.page_responder, request, **DELIVERY
            )
            self._note_refused(f"page to {outcome.target}", outcome.refused)
            if outcome.target is not None and (outcome.channels or not outcome.refused):
                state.pages.append(Page(tier=current, target=outcome.target, at=outcome.at, reason=reason,
                                        key=request.key, channels=outcome.channels))
                name = self.policy.person_name(outcome.target)
                state.note(workflow.now(), "page", "incidentflow",
                           f"paged {current.value} {outcome.target} ({name}): {reason}")
                self._send("page", state.timeline[-1].text, key=f"paged:{key}/{current.value}")
                self._changed = True
                return
            above = current.next_up()
            gap = "nobody holds" if outcome.target is None else f"no channel took the page to {outcome.target} of"
            state.note(workflow.now(), "page", "incidentflow",
                       f"{gap} {current.value}; escalating to {above.value if above else 'nobody'}")
            current = above

    # ── helpers ──────────────────────────────────────────────────────────────────────────────────
    def _send(self, kind: NotificationKind, text: str, key: str, to: list[str] | None = None,
              approval: StepApproval | None = None) -> None:
        state = self.state
        if state.drill and workflow.patched(DRILL_MESSAGES_IN_TIMELINE):
            return  # a drill's messages are its timeline: the activity would route them nowhere (notify.py)
        notification = Notification(
            key=f"{workflow.info().workflow_id}/{workflow.info().run_id}/{key}", incident_id=state.id, kind=kind,
            severity=state.severity, to=to or [], title=state.title, text=text, drill=state.drill, room=state.room,
            approval=approval,
        )
        self._start(self._deliver(notification))

    async def _deliver(self, notification: Notification) -> None:
        report = await workflow.execute_activity_method(NotificationActivities.notify, notification, **DELIVERY)
        self._note_refused(f"{notification.kind} message", report.refused if report else [])

    def _note_refused(self, what: str, refused: list[str], once: bool = False) -> None:
        """A channel refused a delivery for good (a 4xx): it is not retried, and the timeline says so (`once`:
        not again for every later view the channel refuses the same way)."""
        for reason in refused:
            text = f"{what} not delivered: {reason}"
            if once and any(e.text == text for e in self.state.timeline):
                continue
            self.state.note(workflow.now(), "notification", "incidentflow", text)
            self._changed = True

    # ── the incident room and the published view (Slack header, status page, pager ack/resolve) ────
    async def _open_room(self) -> None:
        request = comms.RoomRequest(view=comms.build_view(self.policy, self.state, workflow.now()),
                                    invite=comms.responders(self.policy, self.state, workflow.now()))
        self.state.room = await workflow.execute_activity_method(NotificationActivities.open_room, request,
                                                                 **DELIVERY)
        self._changed = True

    def _publish_view(self) -> None:
        if self.state.drill:
            return
        view = comms.build_view(self.policy, self.state, workflow.now())
        if view == self._view_latest:
            return
        self._view_latest = view
        if self._view_publisher is None:
            self._view_publisher = workflow.patched(VIEWS_FROM_ONE_WAITING_TASK)
            if self._view_publisher:
                self._view_task = self._start(self._publish_views())
        if not self._view_publisher and not self._view_draining:
            self._view_draining = True
            self._start(self._drain_views())

    async def _publish_views(self) -> None:
        """One publish at a time, always the latest view, so an older header never overwrites a newer one.

        The next publish is started only from a wait condition, never straight from the previous publish's
        completion: a cold worker may fold a completion that issued no command into the next workflow task
        (after an update in it), where a replay keeps it apart (temporalio/sdk-python#1591). Started from the
        condition, the publish lands in the same place among the task's commands either way."""
        backoff = VIEW_RETRY_FIRST
        while True:
            await workflow.wait_condition(lambda: self._view_latest != self._view_sent or self._closing)
            if self._view_latest == self._view_sent:
                return
            latest = self._view_latest
            try:
                report = await workflow.execute_activity_method(NotificationActivities.publish_view, latest,
                                                                **DELIVERY)
            except ActivityError as exc:
                # A channel refused it (the others have it): try again after its Retry-After or a backoff, or
                # at once with a newer view. Never a timer cancelled: see `_wake_at`.
                retry = self._flag_after(retry_delay(exc) or backoff)
                backoff = min(backoff * 2, VIEW_RETRY_MAX)
                await workflow.wait_condition(lambda seen=latest, due=retry: self._view_latest != seen or due.is_set())
                continue
            self._view_sent, backoff = latest, VIEW_RETRY_FIRST
            self._note_refused("incident view", report.refused if report else [], once=True)

    async def _drain_views(self) -> None:
        """Incidents started before VIEWS_FROM_ONE_WAITING_TASK replay with this."""
        while self._view_latest != self._view_sent:
            latest = self._view_latest
            await workflow.execute_activity_method(NotificationActivities.publish, latest, **DELIVERY)
            self._view_sent = latest
        self._view_draining = False

    def _wake_at(self, deadline) -> None:
        """One durable timer per planned deadline, never cancelled: a decision that wakes the loop early
        leaves it running, and when it fires the loop simply plans again. (Cancelling a timer in the same
        moment it fires is a race Temporal's time-skipping test server rejects, which hung drills.)"""
        if deadline is None or deadline in self._timers:
            return
        self._timers.add(deadline)
        self._flag_after(deadline - workflow.now(), wake=True)

    def _flag_after(self, delay: timedelta, wake: bool = False) -> asyncio.Event:
        """A durable timer that is never cancelled; its flag is set when it fires (and the loop woken)."""
        flag = asyncio.Event()

        async def fire() -> None:
            await workflow.sleep(delay)
            flag.set()
            if wake:
                self._changed = True

        asyncio.ensure_future(fire())
        return flag

    def _start(self, coroutine) -> asyncio.Task | None:
        if self._held is not None:
            self._held.append(coroutine)
            return None
        task = asyncio.ensure_future(coroutine)
        self._tasks.append(task)
        return task

    def _publish_search_attributes(self) -> None:
        values = (self.state.severity.value, self.state.service, self.state.phase.value)
        if values == self._published:
            return
        self._published = values
        workflow.upsert_search_attributes([
            search.SEVERITY.value_set(values[0]), search.SERVICE.value_set(values[1]),
            search.PHASE.value_set(values[2]),
        ])

    # ── learning loop: ledger and postmortem (docs/learning-loop.md) ─────────────────────────────
    def _record_phase(self) -> None:
        """Write the incident to the ledger when its phase or severity changed since the last write."""
        key = (self.state.phase, self.state.severity)
        if key == self._recorded:
            return
        self._recorded = key
        event = LedgerEvent(state=self.state.model_copy(deep=True), at=workflow.now(),
                            event_id=f"{len(self.state.timeline)}:{key[0].value}:{key[1].value}")
        self._start(workflow.execute_activity_method(LedgerActivities.record_incident, event, **LEDGER))

    async def _start_postmortem(self) -> None:
        """At resolution: the postmortem child outlives this workflow (ABANDON); the incident waits in
        `postmortem` until the child signals that it was published."""
        state, now = self.state, workflow.now()
        decisions.advance(state, Phase.POSTMORTEM, now, "incidentflow")
        with contextlib.suppress(WorkflowAlreadyStartedError):  # a postmortem for this incident exists already
            await workflow.start_child_workflow(
                PostmortemWorkflow.run,
                PostmortemStart(state=state.model_copy(deep=True), policy=self.policy,
                                policy_dir=self._start_input.policy_dir,
                                incident_workflow_id=workflow.info().workflow_id),
                id=postmortem_workflow_id(state.id), parent_close_policy=ParentClosePolicy.ABANDON,
            )
        due = state.resolved_at + self.policy.incident.learning.postmortem.deadline
        state.note(now, "postmortem", "incidentflow",
                   f"postmortem due by {messages.local_time(self.policy, due)}; publish it with "
                   f"`incident postmortem publish {state.id} --by <you>`")
