"""RunbookWorkflow: one remediation runbook run, a child of its IncidentWorkflow.

Parent and child talk by signals, both ways:
- incident → run: `decide_step` (an approve/reject decision the incident accepted) and `cancel`;
- run → incident: `runbook_event` for every thing worth a timeline entry (started, waiting for approval,
  step done/failed, verification, rollback, escalate, finished). The incident folds each event into its
  state with the pure `domain.runbooks.runbook.apply_event`, so its timeline, `incident show` and Slack all see the
  run as it goes, and an `escalate` event goes through the incident's own escalation mechanism.

Steps run in order. A step that changes things waits for a human's approval; an approval that does not
come within the timeout escalates one tier and keeps waiting, and after the policy's number of escalations
the run aborts: never a default yes. A change is then verified (polled until it passes or its window
ends); a failed verification rolls back this step and every earlier change, newest first.

`RunbookCoordinator` is the incident's side: it loads the runbooks once, matches them, starts runs (or
offers them), forwards decisions and receives events. It lives here to keep `workflows/incident.py` thin.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.remediation import ActionOutcome, ActionRequest, RemediationActivities
    from activities.runbook_loader import load_runbooks_snapshot
    from domain.comms.notifications import StepApproval
    from domain.incident import snapshots
    from domain.runbooks import runbook as rb
    from domain.runbooks.catalog import RunbookSet
    from domain.runbooks.status import FINISHED, GatedStep, RunbookRunInfo
    from workflows.options import LOCAL_READ

EVENT_SIGNAL = "runbook_event"
EXECUTED_KINDS = frozenset({"http", "command", "prometheus_query", *rb.PRESETS})


@workflow.defn
class RunbookWorkflow:
    def __init__(self) -> None:
        self.run_input: rb.RunbookRun | None = None
        self.decisions: dict[str, rb.StepDecision] = {}
        self.cancel_request: rb.CancelRequest | None = None
        self.records: list[rb.StepRecord] = []
        self.verified: list[str] = []
        self.current: str | None = None

    @workflow.signal
    def decide_step(self, decision: rb.StepDecision) -> None:
        self.decisions.setdefault(decision.step, decision)

    @workflow.signal
    def cancel(self, request: rb.CancelRequest) -> None:
        if self.cancel_request is None:
            self.cancel_request = request

    @workflow.query
    def progress(self) -> rb.RunbookResult:
        name = self.run_input.plan.runbook if self.run_input else "?"
        text = f"at step {self.current}" if self.current else "starting"
        return rb.RunbookResult(runbook=name, status="running", text=text, steps=self.records,
                                verified=self.verified)

    # ── the run ──────────────────────────────────────────────────────────────────────────────────
    @workflow.run
    async def run(self, run: rb.RunbookRun) -> rb.RunbookResult:
        self.run_input = run
        plan = run.plan
        inputs = ", ".join(f"{k}={v}" for k, v in plan.inputs.items()) or "no inputs"
        await self._emit("started", f"runbook {plan.runbook} started by {run.started_by} ({inputs}); "
                         f"{len(plan.steps)} steps" + (" [DRILL: simulated outcomes]" if run.drill else ""))
        failed: set[str] = set()
        changed: list[rb.ResolvedStep] = []
        for step in plan.steps:
            self.current = step.id
            if self.cancel_request:
                return await self._cancelled(changed)
            if step.if_failed and step.if_failed not in failed:
                self.records.append(rb.StepRecord(id=step.id, outcome="skipped", detail=f"{step.if_failed} succeeded"))
                await self._emit("skipped", f"skipped {step.id}: only runs if {step.if_failed} failed", step.id)
                continue
            if step.approval:
                verdict = await self._gate(step)
                if verdict is not None:
                    return verdict
            if self.cancel_request:
                return await self._cancelled(changed)
            ok, detail = await self._perform(step.id, step.action, "step")
            if ok and step.verify:
                await self._emit("step", f"{step.id}: {detail}; verifying", step.id, ok=True)
                ok, detail = await self._verify(step)
            if ok:
                self.records.append(rb.StepRecord(id=step.id, outcome="ok", detail=detail))
                if step.changes:
                    changed.append(step)
                await self._emit("step", f"✓ {step.id}: {detail}", step.id, ok=True)
                continue
            failed.add(step.id)
            self.records.append(rb.StepRecord(id=step.id, outcome="failed", detail=detail))
            await self._emit("step", f"✗ {step.id} failed: {detail}", step.id, ok=False)
            if step.on_failure == "continue":
                if step.changes and step.rollback:
                    await self._roll_back([step])
                continue
            if step.on_failure == "abort":
                return await self._finish("failed", f"runbook {plan.runbook} stopped: {step.id} failed ({detail})")
            undone = await self._roll_back([*changed, step] if step.changes else changed)
            return await self._finish("rolled_back", f"runbook {plan.runbook}: {step.id} failed ({detail}); "
                                      f"rolled back {undone or 'nothing (no earlier changes)'}")
        self.current = None
        summary = "; ".join(self.verified) if self.verified else "no verification steps"
        return await self._finish("succeeded", f"runbook {plan.runbook} succeeded; verified: {summary}")

    async def _gate(self, step: rb.ResolvedStep) -> rb.RunbookResult | None:
        """Wait for a human. None: approved. Otherwise the result of the aborted run."""
        run = self.run_input
        timeout = timedelta(seconds=run.plan.approval_timeout_seconds or run.approval_timeout_seconds)
        incident = run.incident_id
        await self._emit("waiting", f"⏸ {step.id} waits for approval: {step.action.summary} — "
                         f"`incident approve {incident} {step.id} --by <you>` or "
                         f"`incident reject {incident} {step.id} --by <you> --reason …`", step.id)
        escalations = 0
        while True:
            try:
                await workflow.wait_condition(lambda: step.id in self.decisions or self.cancel_request is not None,
                                              timeout=timeout)
                break
            except TimeoutError:
                escalations += 1
                waited = _minutes(timeout * escalations)
                if escalations > run.approval_escalations:
                    self.records.append(rb.StepRecord(id=step.id, outcome="timed_out",
                                                      detail=f"no approval in {waited}"))
                    return await self._finish("aborted", f"runbook {run.plan.runbook} aborted: nobody approved "
                                              f"{step.id} within {waited} ({run.approval_escalations} escalations)")
                await self._emit("escalate", f"{step.id} has waited {waited} for approval; escalating one tier "
                                 f"({escalations}/{run.approval_escalations})", step.id)
        if self.cancel_request is not None and step.id not in self.decisions:
            return None  # the caller sees the cancellation
        decision = self.decisions[step.id]
        if not decision.approve:
            self.records.append(rb.StepRecord(id=step.id, outcome="rejected", detail=decision.reason or ""))
            return await self._finish("aborted", f"runbook {run.plan.runbook} aborted: {decision.by} rejected "
                                      f"{step.id}: {decision.reason}")
        return None

    async def _perform(self, key: str, action: rb.ResolvedAction, purpose: str, poll: int = 0) -> tuple[bool, str]:
        run = self.run_input
        if action.kind == "wait":
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self.cancel_request is not None,
                                              timeout=timedelta(seconds=action.wait_seconds))
            return True, action.summary
        if action.kind == "notify":
            await self._emit("note", action.text or "", key)
            return True, "notified the incident"
        if action.kind == "approval":
            return True, "approved"
        request = ActionRequest(
            key=f"{workflow.info().workflow_id}/{key}" + ("/rollback" if purpose == "rollback" else ""),
            incident_id=run.incident_id, step=key, purpose=purpose, action=action, directory=run.plan.directory,
            drill=run.drill, poll=poll,
            simulate=run.simulate.get(key if purpose == "step" else f"{key}.{purpose}", []) if run.drill else [],
        )
        try:
            outcome: ActionOutcome = await workflow.execute_activity_method(
                RemediationActivities.run_action, request,
                task_queue=action.task_queue,  # None: this workflow's own queue
                start_to_close_timeout=timedelta(seconds=action.timeout_seconds),
                retry_policy=RetryPolicy(
                    maximum_attempts=action.retries + 1, initial_interval=timedelta(seconds=1),
                    backoff_coefficient=2.0, maximum_interval=timedelta(seconds=30),
                ),
            )
        except ActivityError as exc:
            cause = exc.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
            return False, message
        return outcome.ok, outcome.detail

    async def _verify(self, step: rb.ResolvedStep) -> tuple[bool, str]:
        verify = step.verify
        deadline = workflow.now() + timedelta(seconds=verify.within_seconds)
        poll = 0
        while True:
            ok, detail = await self._perform(step.id, verify.action, "verify", poll=poll)
            if ok:
                self.verified.append(f"{step.id}: {detail}")
                return True, f"verified: {detail}"
            pause = timedelta(seconds=verify.every_seconds)
            if self.cancel_request or workflow.now() + pause > deadline:
                return False, f"verification failed after {poll + 1} checks: {detail}"
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self.cancel_request is not None, timeout=pause)
            poll += 1

    async def _roll_back(self, steps: list[rb.ResolvedStep]) -> str:
        """Undo the given changes newest first, without another approval: they were approved to change
        production, and undoing a failed change is stopping the bleeding. Returns what was undone."""
        undone = []
        for step in reversed(steps):
            if step.rollback is None:
                await self._emit("rollback", f"{step.id} has no rollback; undo it by hand", step.id, ok=False)
                continue
            ok, detail = await self._perform(step.id, step.rollback, "rollback")
            outcome = "rolled_back" if ok else "rollback_failed"
            self.records.append(rb.StepRecord(id=step.id, outcome=outcome, detail=detail))
            if ok:
                undone.append(step.id)
                await self._emit("rollback", f"↩ rolled back {step.id}: {detail}", step.id, ok=True)
            else:
                await self._emit("rollback", f"rollback of {step.id} FAILED: {detail} — undo it by hand", step.id,
                                 ok=False)
                await self._emit("escalate", f"rollback of {step.id} failed; escalating one tier", step.id)
        return ", ".join(undone)

    async def _cancelled(self, changed: list[rb.ResolvedStep]) -> rb.RunbookResult:
        request = self.cancel_request
        done = ", ".join(s.id for s in changed) or "nothing"
        return await self._finish("cancelled", f"runbook {self.run_input.plan.runbook} cancelled by {request.by}"
                                  + (f": {request.reason}" if request.reason else "") + f" (changes made: {done})")

    async def _finish(self, status: str, text: str) -> rb.RunbookResult:
        await self._emit("finished", text, status=status)
        return rb.RunbookResult(runbook=self.run_input.plan.runbook, status=status, text=text, steps=self.records,
                                verified=self.verified)

    async def _emit(self, kind: rb.EventKind, text: str, step: str | None = None, ok: bool | None = None,
                    status: str | None = None) -> None:
        run = self.run_input
        event = rb.RunbookEvent(workflow_id=workflow.info().workflow_id, runbook=run.plan.runbook, kind=kind,
                                text=text, step=step, ok=ok, status=status)
        try:
            await workflow.get_external_workflow_handle(run.parent_workflow_id).signal(EVENT_SIGNAL, event)
        except Exception:  # the incident is gone (closed): the run's own result still records it
            workflow.logger.warning("could not tell incident %s: %s", run.incident_id, text)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes}m" if minutes else f"{int(delta.total_seconds())}s"


# ── the incident's side ─────────────────────────────────────────────────────────────────────────────
class RunbookCoordinator:
    """Used by IncidentWorkflow: `load` once, `consider` on every loop, `check`/`on_decision` for
    decisions, `on_event` for the runs' signals, `close` when the incident closes."""

    def __init__(self, incident) -> None:
        self.incident = incident
        self.catalog: RunbookSet | None = None
        self.simulate: dict[str, list] = {}
        self.started: set[str] = set()

    @property
    def state(self):
        return self.incident.state

    async def load(self, start, report_problems: bool = True) -> None:
        """`report_problems`: False in a continued run, whose timeline already says what was skipped."""
        self.simulate = start.simulate.steps if (start.drill and start.simulate) else {}
        try:
            self.catalog = snapshots.shared(
                await workflow.execute_activity(load_runbooks_snapshot, start.runbook_dir, **LOCAL_READ))
        except ActivityError as exc:
            self.state.note(workflow.now(), "runbook", "incidentflow", f"runbooks not loaded: {exc.cause or exc}")
            return
        if self.catalog.problems and report_problems:
            self.state.note(workflow.now(), "runbook", "incidentflow",
                            "runbook files skipped: " + "; ".join(self.catalog.problems[:5]))
        if workflow.patched("runbook-load-wakes-loop"):  # incidents started before this change replay without it
            self.incident._changed = True  # wake the main loop: matching runbooks start now, not at the next timer

    def consider(self) -> None:
        """Start (or offer) each runbook that now matches and has not been considered for this incident."""
        state = self.state
        if self.catalog is None or not state.phase.is_open:
            return
        policy = self.incident.policy.incident.runbooks
        for runbook in self.catalog.runbooks:
            if any(r.runbook == runbook.name for r in state.runbooks) or not rb.matches(runbook, state):
                continue
            if policy.auto_start:
                self.start(runbook.name, "incidentflow")
            else:
                state.runbooks.append(RunbookRunInfo(runbook=runbook.name, status="offered", at=workflow.now()))
                state.note(workflow.now(), "runbook", "incidentflow",
                           f"runbook {runbook.name} matches ({runbook.description}); start it with "
                           f"`incident runbook run {state.id} {runbook.name} --by <you>`")
                self.incident._send("runbook", state.timeline[-1].text, key=f"runbook-offer:{runbook.name}")
            self.incident._changed = True

    def check(self, decision) -> None:
        """Beyond `decisions.check`: a runbook to run must exist and accept this incident's inputs."""
        from domain.incident.decisions import DecisionRejected

        if decision.kind != "run_runbook":
            return
        runbook = self.catalog.get(decision.runbook) if self.catalog else None
        if runbook is None:
            known = ", ".join(r.name for r in self.catalog.runbooks) if self.catalog else "none loaded"
            raise DecisionRejected(f"no runbook {decision.runbook!r} (known: {known})")
        try:
            rb.resolve_inputs(runbook, self.state)
        except rb.RunbookError as exc:
            raise DecisionRejected(f"runbook {decision.runbook} cannot run: {exc}") from None

    def start(self, name: str, by: str) -> None:
        state = self.state
        now = workflow.now()
        runbook = self.catalog.get(name) if self.catalog else None
        if runbook is None:
            state.note(now, "runbook", "incidentflow", f"no runbook {name!r} is loaded")
            return
        offered = next((r for r in state.runbooks if r.runbook == name and r.status == "offered"), None)
        if offered is not None:
            state.runbooks.remove(offered)
        try:
            plan = rb.resolve_plan(runbook, state, self.catalog.directory)
        except rb.RunbookError as exc:
            state.runbooks.append(RunbookRunInfo(runbook=name, status="refused", at=now, started_by=by,
                                                 detail=str(exc)))
            state.note(now, "runbook", "incidentflow", f"runbook {name} refused — input validation failed: {exc}")
            self.incident._send("runbook", state.timeline[-1].text, key=f"runbook-refused:{name}:{len(state.runbooks)}")
            return
        number = sum(1 for r in state.runbooks if r.runbook == name) + 1
        workflow_id = f"{workflow.info().workflow_id}/runbook/{name}/{number}"
        policy = self.incident.policy.incident.runbooks
        run = rb.RunbookRun(
            incident_id=state.id, parent_workflow_id=workflow.info().workflow_id, plan=plan, started_by=by,
            drill=state.drill, simulate=self.simulate,
            approval_timeout_seconds=policy.approval_timeout.total_seconds(),
            approval_escalations=policy.approval_escalations,
        )
        state.runbooks.append(RunbookRunInfo(
            runbook=name, workflow_id=workflow_id, status="running", started_by=by, at=now,
            gates=[GatedStep(id=s.id) for s in plan.steps if s.approval],
        ))
        self.incident._start(self._run_child(run, workflow_id))

    async def _run_child(self, run: rb.RunbookRun, workflow_id: str) -> None:
        try:
            handle = await workflow.start_child_workflow(
                RunbookWorkflow.run, run, id=workflow_id, parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                static_summary=f"runbook {run.plan.runbook} for incident {run.incident_id}"[:200],
            )
            self.started.add(workflow_id)
            await handle
        except Exception as exc:  # a crashed run must not take the incident down with it
            info = next((r for r in self.state.runbooks if r.workflow_id == workflow_id), None)
            if info is not None and info.status not in FINISHED:
                info.status, info.detail = "failed", str(exc)
                self.state.note(workflow.now(), "runbook", "incidentflow",
                                f"runbook {run.plan.runbook} ended unexpectedly: {exc}")
                self.incident._changed = True

    def on_decision(self, decision) -> None:
        match decision.kind:
            case "run_runbook":
                self.start(decision.runbook, decision.by)
            case "approve_step" | "reject_step":
                decided = "approved" if decision.kind == "approve_step" else "rejected"
                runs = [r for r in self.state.runbooks if r.active and decision.runbook in (None, r.runbook)
                        and (g := r.gate(decision.step)) is not None and g.state == decided and g.by == decision.by]
                self._signal(runs[-1].workflow_id, RunbookWorkflow.decide_step, rb.StepDecision(
                    step=decision.step, approve=decided == "approved", by=decision.by,
                    reason=getattr(decision, "reason", None)))
            case "cancel_runbook":
                run = next(r for r in reversed(self.state.runbooks) if r.active and r.runbook == decision.runbook)
                self._signal(run.workflow_id, RunbookWorkflow.cancel,
                             rb.CancelRequest(by=decision.by, reason=decision.reason))

    def on_event(self, event: rb.RunbookEvent) -> None:
        state = self.state
        escalate = rb.apply_event(state, event, workflow.now())
        if escalate:
            top = state.highest_paged_tier()
            if top is not None and top.next_up() is None:
                state.note(workflow.now(), "runbook", "incidentflow", "every tier has been paged already")
            else:
                state.manual_escalations.append(workflow.now())
        if event.kind in ("waiting", "escalate", "finished", "rollback") or event.ok is False:
            waiting = event.kind == "waiting" and event.step
            self.incident._send("runbook", f"[{event.runbook}] {event.text}",
                                key=f"runbook:{event.workflow_id}:{len(state.timeline)}",
                                approval=StepApproval(runbook=event.runbook, step=event.step) if waiting else None)
        self.incident._changed = True

    def close(self) -> None:
        for run in self.state.runbooks:
            if run.active and run.workflow_id:
                self._signal(run.workflow_id, RunbookWorkflow.cancel,
                             rb.CancelRequest(by="incidentflow", reason=f"incident {self.state.phase.value}"))

    def _finished(self, workflow_id: str) -> bool:
        return any(r.workflow_id == workflow_id and r.status in FINISHED for r in self.state.runbooks)

    def _signal(self, workflow_id: str, signal, argument) -> None:
        async def send() -> None:
            await workflow.wait_condition(lambda: workflow_id in self.started or self._finished(workflow_id))
            try:
                await workflow.get_external_workflow_handle(workflow_id).signal(signal, argument)
            except Exception as exc:  # the run already ended
                workflow.logger.info("runbook %s not signalled: %s", workflow_id, exc)

        self.incident._start(send())
