"""Data files (the API token, the SQLite ledger, the gateway's outbox, their -wal/-shm) are the owner's only:
0600 files in a 0700 data dir, whatever umask the shell had, and the long-running processes run with umask
077 so everything else they (and the Temporal dev server they start) create is private too."""

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from adapters.stores.ledger import Ledger
from adapters.stores.ledger_engine import default_url
from adapters.stores.outbox import outbox_url
from cli.dev_token import ensure_dev_token
from gateway.outbox import OutboxStore
from testkit.environment import free_port
from testkit.gateway import TOKEN
from testkit.learning import fixture_states
from testkit.polling import wait_until_sync


def _mode(path: Path) -> str:
    return stat.filemode(path.stat().st_mode)


def _readable_by_others(data_dir: Path) -> dict[str, str]:
    paths = [data_dir, *data_dir.rglob("*")]
    return {str(p.relative_to(data_dir.parent)): _mode(p) for p in paths if p.stat().st_mode & 0o077}


@pytest.fixture
def shell_umask():
    """The usual login umask (022), under which new files are world-readable unless the code says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_token_ledger_and_outbox_files_are_private_in_a_fresh_data_dir(shell_umask, tmp_path, policy):
    data_dir = tmp_path / "data"
    ensure_dev_token(data_dir, None)
    ledger = Ledger(default_url(data_dir))
    outbox = OutboxStore(outbox_url(default_url(data_dir)), timedelta(seconds=30))
    try:
        state = next(iter(fixture_states(policy).values()))
        ledger.record_incident(state, "fixture", state.detected_at)  # a write: the -wal and -shm exist now
        await outbox.stats()
        names = {p.name for p in data_dir.iterdir()}
        assert {"api-token", "ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm",
                "ledger-outbox.sqlite3"} <= names, names
        assert _readable_by_others(data_dir) == {}
        assert _mode(data_dir) == "drwx------" and _mode(data_dir / "api-token") == "-rw-------"
    finally:
        ledger.dispose()
        outbox.close()


def _umask_of(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:"))


def test_the_gateway_process_creates_only_private_files(shell_umask, tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    env = {**os.environ, "INCIDENTFLOW_DATA_DIR": str(data_dir), "INCIDENTFLOW_API_TOKEN": TOKEN,
           "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}  # not needed: the gateway opens its outbox anyway
    env.pop("INCIDENTFLOW_DATABASE_URL", None)
    log = tmp_path / "gateway.log"
    with log.open("wb") as output:
        gateway = subprocess.Popen([sys.executable, "-m", "cli.main", "gateway", "--port", str(port)], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"

        def answered():
            assert gateway.poll() is None, log.read_text()
            try:
                return httpx.get(f"{url}/healthz", timeout=1)
            except httpx.TransportError:
                return None

        wait_until_sync(answered, "the gateway to listen", 30)
        assert _umask_of(gateway.pid) == "0077"
        wait_until_sync(lambda: (data_dir / "ledger-outbox.sqlite3-wal").exists(), "the outbox to open", 10)
        assert _readable_by_others(data_dir) == {}
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
