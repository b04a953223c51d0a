"""The service layer: what every client does, one module per subject — incidents (declare, read, list),
decisions, postmortems, action items, on-call, reports, runbooks, drills, schedules. The gateway (REST, Slack),
the CLI, the bots and the benchmarks call it; it calls Temporal, the ledger and the policy. It knows no HTTP and
no terminal (docs/architecture.md, "Layers")."""
