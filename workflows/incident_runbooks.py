"""The incident's side of its runbook runs (the runs themselves: workflows/runbook.py, docs/runbooks.md).

It loads the runbooks once, matches them against the incident, starts runs (or offers them), forwards the
decisions that concern a run and folds the runs' events into the incident's timeline.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.runbook_loader import load_runbooks_snapshot
    from domain.comms.notifications import StepApproval
    from domain.incident import snapshots
    from domain.incident.decisions import DecisionRejected
    from domain.runbooks.catalog import RunbookSet
    from domain.runbooks.inputs import RunbookError, matches, resolve_inputs
    from domain.runbooks.messages import CancelRequest, RunbookEvent, RunbookRun, StepDecision, apply_event
    from domain.runbooks.plan import resolve_plan
    from domain.runbooks.status import FINISHED, GatedStep, RunbookRunInfo
    from workflows import incident_versions as versions
    from workflows.incident_context import IncidentContext
    from workflows.incident_effects import Effects
    from workflows.options import LOCAL_READ
    from workflows.runbook import RunbookWorkflow


class RunbookCoordinator:
    """`load` once, `consider` on every loop, `check`/`on_decision` for decisions, `on_event` for the runs'
    signals, `close` when the incident closes."""

    def __init__(self, incident: IncidentContext, effects: Effects) -> None:
        self.incident, self.effects = incident, effects
        start = incident.start
        self.catalog: RunbookSet | None = None
        self.simulate: dict[str, list] = start.simulate.steps if (start.drill and start.simulate) else {}
        self.started: set[str] = set()

    @property
    def state(self):
        return self.incident.state

    async def load(self) -> None:
        start = self.incident.start
        try:
            self.catalog = snapshots.shared(
                await workflow.execute_activity(load_runbooks_snapshot, start.runbook_dir, **LOCAL_READ))
        except ActivityError as exc:
            self.state.note(workflow.now(), "runbook", "incidentflow", f"runbooks not loaded: {exc.cause or exc}")
            return
        if self.catalog.problems and start.continued is None:  # a continued run's timeline says so already
            self.state.note(workflow.now(), "runbook", "incidentflow",
                            "runbook files skipped: " + "; ".join(self.catalog.problems[:5]))
        versions.wake_loop_when_runbooks_load()
        self.incident.changed = True  # matching runbooks start now, not at the next timer

    def consider(self) -> None:
        """Start (or offer) each runbook that now matches and has not been considered for this incident."""
        state = self.state
        if self.catalog is None or not state.phase.is_open:
            return
        policy = self.incident.policy.incident.runbooks
        for runbook in self.catalog.runbooks:
            if any(r.runbook == runbook.name for r in state.runbooks) or not matches(runbook, state):
                continue
            if policy.auto_start:
                self.start(runbook.name, "incidentflow")
            else:
                state.runbooks.append(RunbookRunInfo(runbook=runbook.name, status="offered", at=workflow.now()))
                state.note(workflow.now(), "runbook", "incidentflow",
                           f"runbook {runbook.name} matches ({runbook.description}); start it with "
                           f"`incident runbook run {state.id} {runbook.name} --by <you>`")
                self.effects.send("runbook", state.timeline[-1].text, key=f"runbook-offer:{runbook.name}")
            self.incident.changed = True

    def check(self, decision) -> None:
        """Beyond `decision_rules.check`: a runbook to run must exist and accept this incident's inputs."""
        if decision.kind != "run_runbook":
            return
        runbook = self.catalog.get(decision.runbook) if self.catalog else None
        if runbook is None:
            known = ", ".join(r.name for r in self.catalog.runbooks) if self.catalog else "none loaded"
            raise DecisionRejected(f"no runbook {decision.runbook!r} (known: {known})")
        try:
            resolve_inputs(runbook, self.state)
        except RunbookError as exc:
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
            plan = resolve_plan(runbook, state, self.catalog.directory)
        except RunbookError as exc:
            state.runbooks.append(RunbookRunInfo(runbook=name, status="refused", at=now, started_by=by,
                                                 detail=str(exc)))
            state.note(now, "runbook", "incidentflow", f"runbook {name} refused — input validation failed: {exc}")
            self.effects.send("runbook", state.timeline[-1].text, key=f"runbook-refused:{name}:{len(state.runbooks)}")
            return
        number = sum(1 for r in state.runbooks if r.runbook == name) + 1
        workflow_id = f"{workflow.info().workflow_id}/runbook/{name}/{number}"
        policy = self.incident.policy.incident.runbooks
        run = RunbookRun(
            incident_id=state.id, parent_workflow_id=workflow.info().workflow_id, plan=plan, started_by=by,
            drill=state.drill, simulate=self.simulate,
            approval_timeout_seconds=policy.approval_timeout.total_seconds(),
            approval_escalations=policy.approval_escalations,
        )
        state.runbooks.append(RunbookRunInfo(
            runbook=name, workflow_id=workflow_id, status="running", started_by=by, at=now,
            gates=[GatedStep(id=s.id) for s in plan.steps if s.approval],
        ))
        self.effects.start(self._run_child(run, workflow_id))

    async def _run_child(self, run: RunbookRun, workflow_id: str) -> None:
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
                self.incident.changed = True

    def on_decision(self, decision) -> None:
        match decision.kind:
            case "run_runbook":
                self.start(decision.runbook, decision.by)
            case "approve_step" | "reject_step":
                decided = "approved" if decision.kind == "approve_step" else "rejected"
                runs = [r for r in self.state.runbooks if r.active and decision.runbook in (None, r.runbook)
                        and (g := r.gate(decision.step)) is not None and g.state == decided and g.by == decision.by]
                self._signal(runs[-1].workflow_id, RunbookWorkflow.decide_step, StepDecision(
                    step=decision.step, approve=decided == "approved", by=decision.by,
                    reason=getattr(decision, "reason", None)))
            case "cancel_runbook":
                run = next(r for r in reversed(self.state.runbooks) if r.active and r.runbook == decision.runbook)
                self._signal(run.workflow_id, RunbookWorkflow.cancel,
                             CancelRequest(by=decision.by, reason=decision.reason))

    def on_event(self, event: RunbookEvent) -> None:
        state = self.state
        escalate = apply_event(state, event, workflow.now())
        if escalate:
            top = state.highest_paged_tier()
            if top is not None and top.next_up() is None:
                state.note(workflow.now(), "runbook", "incidentflow", "every tier has been paged already")
            else:
                state.manual_escalations.append(workflow.now())
        if event.kind in ("waiting", "escalate", "finished", "rollback") or event.ok is False:
            waiting = event.kind == "waiting" and event.step
            self.effects.send("runbook", f"[{event.runbook}] {event.text}",
                                key=f"runbook:{event.workflow_id}:{len(state.timeline)}",
                                approval=StepApproval(runbook=event.runbook, step=event.step) if waiting else None)
        self.incident.changed = True

    def close(self) -> None:
        for run in self.state.runbooks:
            if run.active and run.workflow_id:
                self._signal(run.workflow_id, RunbookWorkflow.cancel,
                             CancelRequest(by="incidentflow", reason=f"incident {self.state.phase.value}"))

    def _finished(self, workflow_id: str) -> bool:
        return any(r.workflow_id == workflow_id and r.status in FINISHED for r in self.state.runbooks)

    def _signal(self, workflow_id: str, signal, argument) -> None:
        async def send() -> None:
            await workflow.wait_condition(lambda: workflow_id in self.started or self._finished(workflow_id))
            try:
                await workflow.get_external_workflow_handle(workflow_id).signal(signal, argument)
            except Exception as exc:  # the run already ended
                workflow.logger.info("runbook %s not signalled: %s", workflow_id, exc)

        self.effects.start(send())
