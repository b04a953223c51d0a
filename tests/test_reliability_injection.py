"""R7 injection: hostile alert text shown in Slack must stay text. (Runbook input validation against shell
metacharacters, traversal and template syntax is tests/test_runbook_workflow.py::
test_hostile_alert_labels_never_reach_an_executor; the status page escapes with html.escape.)"""

from datetime import UTC, datetime

import pytest

from activities.channels.slack_blocks import header_blocks, header_text, mrkdwn_escape
from domain.comms import build_view
from domain.incident import IncidentStart
from domain.lifecycle import new_incident
from domain.severity import Severity

HOSTILE = [
    "<!channel> payments down",  # would notify everyone in the channel
    "<http://evil.example|click to fix>",  # a disguised link
    "<@U0ADMIN> approve please",
    "$(rm -rf /); `id` && echo pwned | sh",
    "../../etc/passwd",
    "{{ config.__class__ }} {0.__globals__}",
    "x" * 5000,
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_are_escaped_in_the_slack_header(policy, title):
    start = IncidentStart(id="inj-1", title=title, service="payments", severity=Severity.SEV1, declared_by="am",
                          impact=title)
    view = build_view(policy, new_incident(policy, start, datetime.now(UTC)), datetime.now(UTC))
    rendered = [header_text(view), header_blocks(view)[1]["text"]["text"]]
    for text in rendered:
        assert "<!channel>" not in text and "<http" not in text and "<@U0ADMIN>" not in text
        if "<" in title:
            assert "&lt;" in text
    assert len(header_blocks(view)[1]["text"]["text"]) <= 3000  # Slack's section limit, even for 5,000 chars


def test_mrkdwn_escape_escapes_exactly_slacks_three_characters():
    assert mrkdwn_escape("a & b <c> 'd' \"e\" *f*") == "a &amp; b &lt;c&gt; 'd' \"e\" *f*"
