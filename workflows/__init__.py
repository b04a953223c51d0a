"""Durable orchestration only: deterministic, no I/O. Reads like the playbook."""
