"""Continue-as-new: a long incident starts again as a new run from its state, so a worker without it cached
replays a short history (domain/incident/continuation.py, docs/reliability.md)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.incident.continuation import should_continue_as_new
    from domain.incident.state import IncidentContinuation
    from workflows import incident_versions as versions
    from workflows.incident_context import IncidentContext
    from workflows.incident_effects import Effects
    from workflows.incident_views import ViewPublisher


class Continuation:
    def __init__(self, incident: IncidentContext, effects: Effects, views: ViewPublisher) -> None:
        self.incident, self.effects, self.views = incident, effects, views
        self._allowed = True  # False once a run recorded before CONTINUE_AS_NEW_WHEN_LONG has passed its moment

    def is_due(self) -> bool:
        """A quiet moment (nothing in flight but the waiting view publisher) in a long history."""
        if not self._allowed:
            return False
        info = workflow.info()
        quiet = (self.views.is_current and workflow.all_handlers_finished()
                 and self.effects.quiet(besides=self.views.task))
        return should_continue_as_new(info.get_current_history_length(), info.is_continue_as_new_suggested(),
                                      quiet, self.incident.state.drill)

    def continue_as_new(self) -> None:
        """Does not return, but in a run recorded before continue-as-new: that run waits on, as it did."""
        if versions.continues_as_new_when_long():
            self.effects.raise_failures()
            incident = self.incident
            carried = IncidentContinuation(state=incident.state, dispatched_tiers=sorted(self.effects.dispatched_tiers))
            workflow.continue_as_new(incident.start.model_copy(
                update={"policy": incident.policy, "alerts": [], "continued": carried}))
        self._allowed = False
