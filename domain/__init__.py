"""Pure models and rules: no Temporal, no I/O."""
