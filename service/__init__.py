"""The service layer: what every client does with incidents — declare, decide, read, list — in one place. The
gateway (REST, Slack), the CLI, the bots and the benchmarks call it; it calls Temporal, the ledger and the
policy. It knows no HTTP and no terminal (docs/architecture.md, "Layers")."""
