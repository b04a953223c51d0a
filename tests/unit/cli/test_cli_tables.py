"""`incident list` in a narrow terminal (80 or 100 columns): the incident id, the one thing a responder must copy,
is never cut; the other columns wrap."""

from datetime import UTC, datetime

import pytest
from rich.console import Console

from cli import common, render
from domain.incident.lifecycle import new_incident
from domain.incident.state import IncidentStart


@pytest.mark.parametrize("width", [80, 100])
def test_incident_ids_are_whole_in_a_narrow_terminal(policy, monkeypatch, width):
    states = [new_incident(policy, IncidentStart(id=incident_id, title="결제 실패 Payment errors " * 4,
                                                 service="payments-gateway", declared_by="minsu"), datetime.now(UTC))
              for incident_id in ("20261204-payments-gateway-b5a9", "am-9f3c2a1b7d4e6f80-2")]
    narrow = Console(width=width, record=True, force_terminal=False)
    monkeypatch.setattr(common, "console", narrow)
    monkeypatch.setattr(render, "console", narrow)
    render.render_list(states)
    shown = narrow.export_text()
    for state in states:
        assert state.id in shown
