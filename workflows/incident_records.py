"""What the incident leaves outside its workflow: the search attributes `incident list` filters on, its ledger row
and, at resolution, the postmortem (docs/learning-loop.md)."""

import contextlib

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.learning import LedgerActivities, LedgerEvent
    from domain.comms import messages
    from domain.incident import phase_changes
    from domain.incident.phases import Phase
    from workflows import search
    from workflows.incident_context import IncidentContext
    from workflows.incident_effects import Effects
    from workflows.options import LEDGER
    from workflows.postmortem import PostmortemStart, PostmortemWorkflow, postmortem_workflow_id


class IncidentRecords:
    """Each write happens only when what it records changed since the last one."""

    def __init__(self, incident: IncidentContext, effects: Effects) -> None:
        self.incident, self.effects = incident, effects
        self._searchable: tuple | None = None  # (severity, service, phase) last upserted
        self._recorded: tuple | None = None  # (phase, severity) last written to the ledger

    def resume(self) -> None:
        """A continued run: the previous run wrote the ledger row."""
        self._recorded = (self.incident.state.phase, self.incident.state.severity)

    def publish_search_attributes(self) -> None:
        state = self.incident.state
        values = (state.severity.value, state.service, state.phase.value)
        if values == self._searchable:
            return
        self._searchable = values
        workflow.upsert_search_attributes([
            search.SEVERITY.value_set(values[0]), search.SERVICE.value_set(values[1]),
            search.PHASE.value_set(values[2]),
        ])

    def record_phase(self) -> None:
        """Write the incident to the ledger when its phase or severity changed since the last write."""
        state = self.incident.state
        key = (state.phase, state.severity)
        if key == self._recorded:
            return
        self._recorded = key
        event = LedgerEvent(state=state.model_copy(deep=True), at=workflow.now(),
                            event_id=f"{len(state.timeline)}:{key[0].value}:{key[1].value}")
        self.effects.start(workflow.execute_activity_method(LedgerActivities.record_incident, event, **LEDGER))

    async def start_postmortem(self) -> None:
        """At resolution: the postmortem child outlives this workflow (ABANDON); the incident waits in
        `postmortem` until the child signals that it was published."""
        policy, state, now = self.incident.policy, self.incident.state, workflow.now()
        phase_changes.advance(state, Phase.POSTMORTEM, now, "incidentflow")
        with contextlib.suppress(WorkflowAlreadyStartedError):  # a postmortem for this incident exists already
            await workflow.start_child_workflow(
                PostmortemWorkflow.run,
                PostmortemStart(state=state.model_copy(deep=True), policy=policy,
                                policy_dir=self.incident.start.policy_dir,
                                incident_workflow_id=workflow.info().workflow_id),
                id=postmortem_workflow_id(state.id), parent_close_policy=ParentClosePolicy.ABANDON,
            )
        due = state.resolved_at + policy.incident.learning.postmortem.deadline
        state.note(now, "postmortem", "incidentflow",
                   f"postmortem due by {messages.local_time(policy, due)}; publish it with "
                   f"`incident postmortem publish {state.id} --by <you>`")
