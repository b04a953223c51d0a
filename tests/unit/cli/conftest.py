"""The drill scorecard of a hostile incident, for the modules checking what the CLI prints of hostile text."""

import pytest

from testkit import hostile_text


@pytest.fixture
def hostile_scorecard(policy):
    return hostile_text.hostile_scorecard(policy)
