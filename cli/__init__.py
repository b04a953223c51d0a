"""The `incident` command."""
