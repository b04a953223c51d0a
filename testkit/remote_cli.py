"""The CLI in remote mode as a person on a laptop runs it (tests/e2e/test_cli_remote*.py): an environment that can
reach neither Temporal nor a ledger, personal tokens, the `incident` subprocess, and reading an incident back."""

import asyncio
import os
from pathlib import Path

from adapters.stores.ledger import open_ledger
from domain.identity.roles import Role
from service import tokens
from testkit.environment import free_port
from testkit.gateway import ServedGateway
from testkit.helpers import incident


def laptop_env(tmp_path: Path) -> dict[str, str]:
    """An environment with neither Temporal nor a ledger: a closed Temporal port, an empty data dir, no login."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTFLOW_", "TEMPORAL_", "XDG_"))}
    (tmp_path / "data").mkdir(exist_ok=True)
    env.update({"TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data"),
                "XDG_CONFIG_HOME": str(tmp_path / "config")})
    return env


def personal_token(gateway: ServedGateway, person: str, role: Role | None = None) -> str:
    """A personal token in the gateway's ledger."""
    return tokens.issue(open_ledger(gateway.settings.database_url), name=f"{person} laptop", kind="person",
                        person=person, role=role).secret


async def remote_cli(env: dict, *args: str, check: bool = True):
    """In a thread: the worker in this event loop must keep answering the gateway's queries meanwhile."""
    return await asyncio.to_thread(incident, env, *args, check=check)


async def shown(gateway: ServedGateway, incident_id: str) -> dict | None:
    async with gateway.http() as http:
        answer = await http.get(f"/api/incidents/{incident_id}")
    return answer.json() if answer.status_code == 200 else None
