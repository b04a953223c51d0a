"""Search attributes that make incidents filterable in the Temporal UI and `incident list`."""

from temporalio.common import SearchAttributeKey

SEVERITY = SearchAttributeKey.for_keyword("IncidentSeverity")
SERVICE = SearchAttributeKey.for_keyword("IncidentService")
PHASE = SearchAttributeKey.for_keyword("IncidentPhase")
ALL = (SEVERITY, SERVICE, PHASE)
