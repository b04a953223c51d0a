"""Worker metrics (/metrics), the Temporal SDK runtime, and optional OpenTelemetry tracing (docs/deploy.md)."""
