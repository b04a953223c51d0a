"""What every long-running process (`incident dev`, the worker, the gateway) does before anything else."""

import os

from cli.settings_errors import exit_on_bad_settings
from observability.logs import configure_logging

# New files 0600 and directories 0700, for this process and its children (the Temporal dev server's database,
# the ledger, the outbox, postmortem drafts, reports): they hold incidents, tokens and people's names.
PRIVATE_UMASK = 0o077


def start_process() -> None:
    os.umask(PRIVATE_UMASK)
    configure_logging()
    exit_on_bad_settings()
