"""Clients address the incident workflow by name (service/workflow_names.py) so that they need not import it: the
names and result types they use must be the workflow's own, or every decision would fail at run time."""

from temporalio import workflow

from domain.incident.decisions import DecisionResult
from domain.incident.state import IncidentState
from service import workflow_names as names
from workflows import incident


def test_the_names_are_the_incident_workflows_handlers():
    defined = workflow._Definition.from_class(incident.IncidentWorkflow)
    assert defined.name == names.WORKFLOW_TYPE
    assert names.WORKFLOW_ID_PREFIX == incident.WORKFLOW_ID_PREFIX
    assert defined.updates[names.DECIDE_UPDATE].ret_type is DecisionResult
    assert names.SUBMIT_SIGNAL in defined.signals
    assert defined.queries[names.SNAPSHOT_QUERY].ret_type == IncidentState | None
    assert defined.ret_type is IncidentState  # service.temporal.incident_handle's result type
