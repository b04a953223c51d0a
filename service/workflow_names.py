"""How a client addresses an incident's workflow without importing it: workflows.incident imports its
activities (the ledger, runbook HTTP, policy files) for their definitions, which a one-off `incident ack` would
pay for on every run (docs/performance.md, "CLI latency"). tests/unit/service/test_workflow_names.py checks these
names against IncidentWorkflow's handlers."""

WORKFLOW_ID_PREFIX = "incident-"
WORKFLOW_TYPE = "IncidentWorkflow"
DECIDE_UPDATE = "decide"  # IncidentWorkflow.decide: Decision -> DecisionResult
SUBMIT_SIGNAL = "submit"  # IncidentWorkflow.submit: Decision
SNAPSHOT_QUERY = "snapshot"  # IncidentWorkflow.snapshot: -> IncidentState | None
