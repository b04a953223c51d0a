"""Carrying out what the planner says is due (domain/incident/planner.py): pages, escalations and reminders.

Pages and messages run as concurrent activities, so one slow channel never holds back an escalation timer, and
every planned deadline gets one durable timer that is never cancelled.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from domain.comms import messages
    from domain.comms.notifications import Notification, NotificationKind, PageRequest, StepApproval
    from domain.incident import planner, rule_steps
    from domain.incident.decision_rules import complete_checklist
    from domain.incident.severity import Tier
    from domain.incident.state import Escalation, Page, StakeholderNotice
    from workflows import incident_versions as versions
    from workflows import metrics
    from workflows.incident_context import IncidentContext
    from workflows.options import DELIVERY


class Effects:
    """The incident's concurrent work: `start` a coroutine as a task, `send` a message, `carry_out` a plan."""

    def __init__(self, incident: IncidentContext) -> None:
        self.incident = incident
        self.tasks: list[asyncio.Task] = []
        # Start-up side effects (declaration, room, runbooks) wait here until the first plan's page is scheduled,
        # so the page is the first activity the worker picks up (docs/performance.md).
        self._held: list | None = []
        self._timers: set = set()  # deadlines that already have a durable timer
        self.dispatched_tiers: set[Tier] = set()  # paged, or claimed by a planned page
        self._steps: list[asyncio.Task] = []  # notification-rule steps still being sent

    def resume(self, dispatched_tiers: list[Tier]) -> None:
        """A continued run: nothing of the start-up to hold back, the tiers the previous run paged."""
        self._held, self.dispatched_tiers = None, set(dispatched_tiers)

    def start(self, coroutine) -> asyncio.Task | None:
        if self._held is not None:
            self._held.append(coroutine)
            return None
        task = asyncio.ensure_future(coroutine)
        self.tasks.append(task)
        return task

    def carry_out(self, due: list[planner.Action]) -> None:
        """The plan's actions first, then whatever the start-up held back."""
        startup, self._held = self._held or [], None
        self._stop_steps_once_answered()
        told: list[planner.Action] = []
        for action in due:
            self.incident.state.fired.append(action.key)
            if action.kind in planner.NOTICES:
                self._note_stakeholder(action)
                told.append(action)
            else:
                self._carry_out(action)
        if told:
            self._tell_stakeholders(told)
        for coroutine in startup:
            self.start(coroutine)

    def _stop_steps_once_answered(self) -> None:
        """Nothing more is sent once someone acknowledged: a step still being retried (a channel down) is
        cancelled."""
        state = self.incident.state
        if self._steps and (state.acknowledged_at is not None or not state.phase.is_open):
            for task in self._steps:
                if task is not None and not task.done():
                    task.cancel()
        self._steps = [task for task in self._steps if task is not None and not task.done()]

    def quiet(self, besides: asyncio.Task | None) -> bool:
        return all(task.done() for task in self.tasks if task is not besides)

    def raise_failures(self) -> None:
        """A side effect that failed fails the incident, as it would at the end."""
        for task in self.tasks:
            if task.done():
                task.result()

    # ── timers ───────────────────────────────────────────────────────────────────────────────────
    def wake_at(self, deadline) -> None:
        """One durable timer per planned deadline, never cancelled: a decision that wakes the loop early leaves
        it running and the loop plans again when it fires (the time-skipping server rejects a timer cancelled
        as it fires)."""
        if deadline is None or deadline in self._timers:
            return
        self._timers.add(deadline)
        self.flag_after(deadline - workflow.now(), wake=True)

    def flag_after(self, delay: timedelta, wake: bool = False) -> asyncio.Event:
        """A durable timer that is never cancelled; its flag is set when it fires (and the loop woken)."""
        flag = asyncio.Event()

        async def fire() -> None:
            await workflow.sleep(delay)
            flag.set()
            if wake:
                self.incident.changed = True

        asyncio.ensure_future(fire())
        return flag

    # ── messages ─────────────────────────────────────────────────────────────────────────────────
    def send(self, kind: NotificationKind, text: str, key: str, to: list[str] | None = None,
             approval: StepApproval | None = None) -> None:
        state = self.incident.state
        if state.drill and versions.drill_messages_only_in_timeline():
            return  # a drill's messages are its timeline: the activity would route them nowhere (notify.py)
        notification = Notification(
            key=f"{workflow.info().workflow_id}/{workflow.info().run_id}/{key}", incident_id=state.id, kind=kind,
            severity=state.severity, to=to or [], title=state.title, text=text, drill=state.drill, room=state.room,
            approval=approval,
        )
        self.start(self._deliver(notification))

    async def _deliver(self, notification: Notification) -> None:
        report = await workflow.execute_activity_method(NotificationActivities.notify, notification, **DELIVERY)
        self.note_refused(f"{notification.kind} message", report.refused if report else [])

    def note_refused(self, what: str, refused: list[str], once: bool = False) -> None:
        """A channel refused a delivery for good (a 4xx): it is not retried, and the timeline says so (`once`:
        not again for every later view the channel refuses the same way)."""
        state = self.incident.state
        for reason in refused:
            text = f"{what} not delivered: {reason}"
            if once and any(e.text == text for e in state.timeline):
                continue
            state.note(workflow.now(), "notification", "incidentflow", text)
            self.incident.changed = True

    # ── the planner's actions ────────────────────────────────────────────────────────────────────
    def _carry_out(self, action: planner.Action) -> None:
        policy, state, now = self.incident.policy, self.incident.state, workflow.now()
        if action.kind == "page":
            self.start(self._page(action.tier, action.reason, action.key))
        elif action.kind == "repage":
            who = policy.person_name(action.person) if action.person else f"the {action.tier.value} on call"
            state.note(now, "escalation", "incidentflow", f"{action.reason} → paging {who} again")
            self.send("escalation", state.timeline[-1].text, key=action.key)
            self.start(self._page(action.tier, action.reason, action.key, person=action.person))
        elif action.kind == "escalation":
            self._escalate(action)
        elif action.kind == "notify_step":
            self._steps.append(self.start(self._notify_step(action)))
        elif action.kind == "comms_reminder":
            owner = state.roles.comms or state.roles.ic or state.holder_of_tier(Tier.PRIMARY)
            state.note(now, "comms_reminder", "incidentflow", f"internal update due; reminded {owner or 'channel'}")
            text = "⏰ Internal update due.\n" + messages.internal_update(policy, state)
            self.send("comms_reminder", text, key=action.key, to=[owner] if owner else [])
        elif action.kind == "checklist_nag":
            open_items = [c.text for c in planner.nagged_items(policy, state)]
            owner = state.roles.ic or state.holder_of_tier(Tier.PRIMARY)
            state.note(now, "checklist_nag", "incidentflow", "open checklist items: " + "; ".join(open_items))
            text = "📋 First-15-minutes checklist still open:\n" + "\n".join(f"- [ ] {t}" for t in open_items)
            self.send("checklist_nag", text, key=action.key, to=[owner] if owner else [])

    def _note_stakeholder(self, action: planner.Action) -> None:
        """A person the policy names for the severity (Sev0: the CTO and every team lead), or for public incidents
        (the customer-support lead), is told — not paged."""
        policy, state, now = self.incident.policy, self.incident.state, workflow.now()
        state.notifications.append(StakeholderNotice(to=action.person, why=action.reason, at=now))
        state.note(now, "stakeholder", "incidentflow",
                   f"notified {action.person} ({policy.person_name(action.person)}): {action.reason}")

    def _tell_stakeholders(self, told: list[planner.Action]) -> None:
        """One message per list for everyone told at this moment (each mentioned); then the checklist item, once
        everyone the policy tells of this incident has been."""
        policy, state, now = self.incident.policy, self.incident.state, workflow.now()
        headline = f"📣 {state.severity.value.upper()} incident: {state.title} ({state.service})."
        stakeholders = [a.person for a in told if a.kind == "stakeholder_notice"]
        if stakeholders:
            text = (f"{headline} You are told at once as the policy's {state.severity.value} stakeholders; the "
                    "on-call tiers are being paged.")
            self.send("stakeholder", text, key="stakeholders:" + ",".join(stakeholders), to=stakeholders)
        contacts = [a.person for a in told if a.kind == "public_notice"]
        if contacts:
            text = (f"{headline} It is public: the status page shows it. You are told as the policy's contact for "
                    "public incidents, so customer support can answer players; updates follow in this thread.")
            self.send("stakeholder", text, key="public-contacts:" + ",".join(contacts), to=contacts)
        if all(f"notify:{person}" in state.fired for person in planner.told_people(policy, state)):
            complete_checklist(state, "notified", now, "incidentflow")

    def _escalate(self, action: planner.Action) -> None:
        state, now = self.incident.state, workflow.now()
        engaged = action.tier in self.dispatched_tiers
        if not engaged:
            # claimed now, not when the page task first runs: two rules for one tier due in one plan page it once
            versions.claim_tier_when_planned()
            self.dispatched_tiers.add(action.tier)
        state.escalations.append(Escalation(rule=action.rule, tier=action.tier, at=now, paged=not engaged))
        if not state.drill:
            metrics.escalation_fired(action.rule, action.tier.value, not engaged, state.severity.value)
        if engaged:
            state.note(now, "escalation", "incidentflow",
                       f"{action.rule}: {action.reason}; {action.tier.value} already engaged")
            return
        state.note(now, "escalation", "incidentflow", f"{action.rule}: {action.reason} → paging {action.tier.value}")
        self.send("escalation", state.timeline[-1].text, key=action.key)
        self.start(self._page(action.tier, action.reason, action.key))

    async def _page(self, tier: Tier, reason: str, key: str, person: str | None = None) -> None:
        """Page whoever holds `tier` now (or `person`); a tier nobody holds escalates to the next one up."""
        policy, state = self.incident.policy, self.incident.state
        current: Tier | None = tier
        while current is not None:
            self.dispatched_tiers.add(current)
            rules = state.follows_notification_rules
            request = PageRequest(
                key=f"{workflow.info().workflow_id}/{workflow.info().run_id}/{key}/{current.value}",
                incident_id=state.id, title=state.title, service=state.service, severity=state.severity,
                tier=current, reason=reason, drill=state.drill, at=workflow.now(), oncall=policy.oncall,
                person=person, rule_step=0 if rules else None,
            )
            outcome = await workflow.execute_activity_method(
                NotificationActivities.page_responder, request, **DELIVERY
            )
            # a person with notification rules is paged by their chain: a first step nobody took falls over to
            # the next one, and only a chain that reached nobody makes the tier a gap (the planner's)
            chain = policy.oncall.notification_chain(outcome.target) if rules else []
            if not chain:
                self.note_refused(f"page to {outcome.target}", outcome.refused)
            if outcome.target is not None and (chain or outcome.channels or not outcome.refused):
                page = Page(tier=current, target=outcome.target, at=outcome.at, reason=reason, key=request.key,
                            channels=outcome.channels)
                state.pages.append(page)
                name = policy.person_name(outcome.target)
                state.note(workflow.now(), "page", "incidentflow",
                           f"paged {current.value} {outcome.target} ({name}): {reason}")
                self.send("page", state.timeline[-1].text, key=f"paged:{key}/{current.value}")
                if chain:
                    rule_steps.record_step(state, page, chain, 0, outcome.at, outcome.channels, outcome.refused,
                                           workflow.now())
                self.incident.changed = True
                return
            above = current.next_up()
            gap = "nobody holds" if outcome.target is None else f"no channel took the page to {outcome.target} of"
            state.note(workflow.now(), "page", "incidentflow",
                       f"{gap} {current.value}; escalating to {above.value if above else 'nobody'}")
            current = above

    async def _notify_step(self, action: planner.Action) -> None:
        """A further step of the paged person's notification rules: the page again, through that step's channels."""
        policy, state = self.incident.policy, self.incident.state
        page = state.pages[action.page]
        chain = policy.oncall.notification_chain(page.target)
        request = PageRequest(
            key=f"{page.key}/step{action.step}", incident_id=state.id, title=state.title, service=state.service,
            severity=state.severity, tier=page.tier, person=page.target, reason=page.reason,
            via=chain[action.step].channels, drill=state.drill, at=workflow.now(), oncall=policy.oncall,
        )
        try:
            outcome = await workflow.execute_activity_method(NotificationActivities.page_responder, request,
                                                             **DELIVERY)
        except (asyncio.CancelledError, ActivityError) as exc:
            if not is_cancelled_exception(exc):
                raise
            # acknowledged (or resolved) while the channel was still being retried
            answered = "acknowledged" if state.acknowledged_at is not None else "resolved"
            state.note(workflow.now(), "notification", "incidentflow",
                       f"{chain[action.step].describe()} to {page.target} stopped: {answered} before it went out")
            self.incident.changed = True
            return
        rule_steps.record_step(state, page, chain, action.step, outcome.at, outcome.channels, outcome.refused,
                               workflow.now())
        self.incident.changed = True
