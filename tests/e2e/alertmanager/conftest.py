"""One real stack and Alertmanager for this package's tests (testkit/alertmanager_stack.py); every test has an
alert group and a receiver of its own."""

import pytest

from testkit.alertmanager_stack import print_logs, real_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    with real_stack(tmp_path_factory.mktemp("alertmanager-real")) as started:
        yield started


@pytest.fixture(autouse=True)
def logs_on_failure(stack):
    """Each test's share of the Alertmanager, gateway and worker logs, printed at teardown: pytest shows it
    for a failed test only. Alerts a test leaves firing are resolved, so Alertmanager stops repeating them."""
    offsets = {name: path.stat().st_size if path.exists() else 0 for name, path in stack.logs.items()}
    yield
    stack.am.resolve_all()
    print_logs({k: v for k, v in stack.logs.items() if k != "temporal"}, offsets)
