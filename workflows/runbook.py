"""RunbookWorkflow: one remediation runbook run, a child of its IncidentWorkflow.

Parent and child talk by signals, both ways:
- incident → run: `decide_step` (an approve/reject decision the incident accepted) and `cancel`;
- run → incident: `runbook_event` for every thing worth a timeline entry (started, waiting for approval,
  step done/failed, verification, rollback, escalate, finished). The incident folds each event into its
  state with the pure `domain.runbooks.messages.apply_event`, so its timeline, `incident show` and Slack all see the
  run as it goes, and an `escalate` event goes through the incident's own escalation mechanism.

Steps run in order. A step that changes things waits for a human's approval; an approval that does not
come within the timeout escalates one tier and keeps waiting, and after the policy's number of escalations
the run aborts: never a default yes. A change is then verified (polled until it passes or its window
ends); a failed verification rolls back this step and every earlier change, newest first.

The incident's side (loading, matching, starting runs, forwarding decisions) is
`workflows/incident_runbooks.py`.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.remediation import ActionOutcome, ActionRequest, RemediationActivities
    from domain.common.durations import minutes_text
    from domain.runbooks.actions import PRESETS
    from domain.runbooks.messages import (
        CancelRequest,
        EventKind,
        RunbookEvent,
        RunbookResult,
        RunbookRun,
        StepDecision,
        StepRecord,
    )
    from domain.runbooks.plan import ResolvedAction, ResolvedStep

EVENT_SIGNAL = "runbook_event"
EXECUTED_KINDS = frozenset({"http", "command", "prometheus_query", *PRESETS})


@workflow.defn
class RunbookWorkflow:
    def __init__(self) -> None:
        self.run_input: RunbookRun | None = None
        self.decisions: dict[str, StepDecision] = {}
        self.cancel_request: CancelRequest | None = None
        self.records: list[StepRecord] = []
        self.verified: list[str] = []
        self.current: str | None = None

    @workflow.signal
    def decide_step(self, decision: StepDecision) -> None:
        self.decisions.setdefault(decision.step, decision)

    @workflow.signal
    def cancel(self, request: CancelRequest) -> None:
        if self.cancel_request is None:
            self.cancel_request = request

    @workflow.query
    def progress(self) -> RunbookResult:
        name = self.run_input.plan.runbook if self.run_input else "?"
        text = f"at step {self.current}" if self.current else "starting"
        return RunbookResult(runbook=name, status="running", text=text, steps=self.records,
                             verified=self.verified)

    # ── the run ──────────────────────────────────────────────────────────────────────────────────
    @workflow.run
    async def run(self, run: RunbookRun) -> RunbookResult:
        self.run_input = run
        plan = run.plan
        inputs = ", ".join(f"{k}={v}" for k, v in plan.inputs.items()) or "no inputs"
        await self._emit("started", f"runbook {plan.runbook} started by {run.started_by} ({inputs}); "
                         f"{len(plan.steps)} steps" + (" [DRILL: simulated outcomes]" if run.drill else ""))
        failed: set[str] = set()
        changed: list[ResolvedStep] = []
        for step in plan.steps:
            self.current = step.id
            if self.cancel_request:
                return await self._cancelled(changed)
            if step.if_failed and step.if_failed not in failed:
                self.records.append(StepRecord(id=step.id, outcome="skipped", detail=f"{step.if_failed} succeeded"))
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
                self.records.append(StepRecord(id=step.id, outcome="ok", detail=detail))
                if step.changes:
                    changed.append(step)
                await self._emit("step", f"✓ {step.id}: {detail}", step.id, ok=True)
                continue
            failed.add(step.id)
            self.records.append(StepRecord(id=step.id, outcome="failed", detail=detail))
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

    async def _gate(self, step: ResolvedStep) -> RunbookResult | None:
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
                waited = minutes_text(timeout * escalations, hours=False, under_a_minute="{seconds}s")
                if escalations > run.approval_escalations:
                    self.records.append(StepRecord(id=step.id, outcome="timed_out",
                                                   detail=f"no approval in {waited}"))
                    return await self._finish("aborted", f"runbook {run.plan.runbook} aborted: nobody approved "
                                              f"{step.id} within {waited} ({run.approval_escalations} escalations)")
                await self._emit("escalate", f"{step.id} has waited {waited} for approval; escalating one tier "
                                 f"({escalations}/{run.approval_escalations})", step.id)
        if self.cancel_request is not None and step.id not in self.decisions:
            return None  # the caller sees the cancellation
        decision = self.decisions[step.id]
        if not decision.approve:
            self.records.append(StepRecord(id=step.id, outcome="rejected", detail=decision.reason or ""))
            return await self._finish("aborted", f"runbook {run.plan.runbook} aborted: {decision.by} rejected "
                                      f"{step.id}: {decision.reason}")
        return None

    async def _perform(self, key: str, action: ResolvedAction, purpose: str, poll: int = 0) -> tuple[bool, str]:
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

    async def _verify(self, step: ResolvedStep) -> tuple[bool, str]:
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

    async def _roll_back(self, steps: list[ResolvedStep]) -> str:
        """Undo the given changes newest first, without another approval: they were approved to change
        production, and undoing a failed change is stopping the bleeding. Returns what was undone."""
        undone = []
        for step in reversed(steps):
            if step.rollback is None:
                await self._emit("rollback", f"{step.id} has no rollback; undo it by hand", step.id, ok=False)
                continue
            ok, detail = await self._perform(step.id, step.rollback, "rollback")
            outcome = "rolled_back" if ok else "rollback_failed"
            self.records.append(StepRecord(id=step.id, outcome=outcome, detail=detail))
            if ok:
                undone.append(step.id)
                await self._emit("rollback", f"↩ rolled back {step.id}: {detail}", step.id, ok=True)
            else:
                await self._emit("rollback", f"rollback of {step.id} FAILED: {detail} — undo it by hand", step.id,
                                 ok=False)
                await self._emit("escalate", f"rollback of {step.id} failed; escalating one tier", step.id)
        return ", ".join(undone)

    async def _cancelled(self, changed: list[ResolvedStep]) -> RunbookResult:
        request = self.cancel_request
        done = ", ".join(s.id for s in changed) or "nothing"
        return await self._finish("cancelled", f"runbook {self.run_input.plan.runbook} cancelled by {request.by}"
                                  + (f": {request.reason}" if request.reason else "") + f" (changes made: {done})")

    async def _finish(self, status: str, text: str) -> RunbookResult:
        await self._emit("finished", text, status=status)
        return RunbookResult(runbook=self.run_input.plan.runbook, status=status, text=text, steps=self.records,
                             verified=self.verified)

    async def _emit(self, kind: EventKind, text: str, step: str | None = None, ok: bool | None = None,
                    status: str | None = None) -> None:
        run = self.run_input
        event = RunbookEvent(workflow_id=workflow.info().workflow_id, runbook=run.plan.runbook, kind=kind,
                             text=text, step=step, ok=ok, status=status)
        try:
            await workflow.get_external_workflow_handle(run.parent_workflow_id).signal(EVENT_SIGNAL, event)
        except Exception:  # the incident is gone (closed): the run's own result still records it
            workflow.logger.warning("could not tell incident %s: %s", run.incident_id, text)
