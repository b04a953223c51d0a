import os
import tempfile
import uuid

# Tests never write into a developer's .incidentflow/ (ledger, postmortem drafts, stores): one temporary
# data dir per test session, set before anything reads the settings.
os.environ.setdefault("INCIDENTFLOW_DATA_DIR", tempfile.mkdtemp(prefix="incidentflow-tests-"))
# ... nor read a developer's `incident login` (remote mode): the CLI's credentials file lives under this
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="incidentflow-tests-config-")
os.environ.pop("INCIDENTFLOW_URL", None)
os.environ.pop("INCIDENTFLOW_TOKEN", None)

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.channels import RecordingChannel
from adapters.policy_files import load_policy
from testkit.environment import POLICY_DIR, register_search_attributes, venv_binary
from testkit.processes import DevServer

# Ledger fixtures (`ledger_url`, `ledger`: SQLite and PostgreSQL) for every test module.
pytest_plugins = ["testkit.ledger"]

@pytest.fixture(scope="session")
def policy():
    return load_policy(POLICY_DIR)


@pytest.fixture
async def time_env():
    """A time-skipping server of its own for each test (about 0.12 s to start). Shared servers leaked time:
    the Java test server never releases the time-skipping lock of a workflow task that was scheduled when
    its workflow got terminated, so a test ending on a timer that fired with its last sleep (the 15-minute
    reminder at 5 h, say) froze the clock for every later test in the module."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=venv_binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture
def recorder():
    return RecordingChannel()


@pytest.fixture
def task_queue():
    return f"tq-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def shared_dev_server(tmp_path_factory):
    with DevServer(tmp_path_factory.mktemp("temporal")) as server:
        yield server.address


@pytest.fixture(scope="module")
def dev_server(request, tmp_path_factory):
    """A real Temporal dev server (the one `incident dev` runs, same flags) on a free port; its address, e.g.
    127.0.0.1:41234. Needed for list/visibility, schedules and kill -9 tests. One per session; a module marked
    `own_dev_server` gets its own: listing incidents queries every running one, and incidents other modules
    leave behind without a worker would make those queries wait."""
    if request.node.get_closest_marker("own_dev_server") is None:
        yield request.getfixturevalue("shared_dev_server")
        return
    with DevServer(tmp_path_factory.mktemp("own-temporal")) as server:
        yield server.address


@pytest.fixture
async def dev_client(dev_server):
    return await Client.connect(dev_server, data_converter=pydantic_data_converter)


@pytest.fixture
def slack():
    """A fake Slack Web API on loopback (testkit/fakes/slack_api.py)."""
    from testkit.fakes.slack_api import FakeSlack

    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def twilio():
    """A fake Twilio REST API on loopback (testkit/fakes/twilio_api.py)."""
    from testkit.fakes.twilio_api import FakeTwilio

    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def pagerduty():
    """A fake PagerDuty Events v2 endpoint on loopback that knows the tests' routing key."""
    from testkit.comms import PD_KEY
    from testkit.fakes.pagerduty import FakePagerDuty

    with FakePagerDuty({PD_KEY}) as fake:
        yield fake
