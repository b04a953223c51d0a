"""Where the project is and the processes tests and benchmarks start: one place for both (bench imports no tests)."""

import shutil
import socket
import sys
from pathlib import Path

import pytest
from temporalio.client import Client

from workflows import search

PROJECT = Path(__file__).resolve().parent.parent
POLICY_DIR = PROJECT / "policies"
HISTORIES = PROJECT / "tests" / "histories"


def venv_binary(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install the project with `make install` (package {name}-bin)")
    return found


async def register_search_attributes(client: Client) -> None:
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in search.ALL},
        )
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
