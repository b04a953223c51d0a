"""Text a sender or a colleague could have written to take over an operator's terminal or a report (screen
clear, window title, bidi override, bell, C1 CSI, Rich markup), and checking what was printed of it
(docs/reliability.md, R7)."""

import re
from datetime import timedelta

from cli.drill_runner import load_scenario
from domain.drills.scoring import scorecard
from domain.incident import decision_rules
from domain.incident import decisions as d
from testkit.environment import PROJECT
from testkit.learning import fixture_states

# Screen clear, window title (OSC 0), a right-to-left override, a bell, a C1 CSI and Rich markup.
HOSTILE_TITLE = "[red]Pay[/red] \x1b[2J\x1b]0;pwned\x07<script>x</script> | a\nb \u202eevil\x07 \x9b2J"
HOSTILE_SERVICE = "pay|ments\n| forged | row |"
HOSTILE_NAME = "[bold]mallory\x1b[8m"
# The only escapes left in a terminal's output are Rich's own colours (SGR: ESC [ … m).
RICH_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
DRILLS = PROJECT / "drills"


def hostile_incident(policy):
    """A fixture incident with a hostile title and service, acknowledged by someone with a hostile name."""
    state = fixture_states(policy)["D"]
    state.title, state.service = HOSTILE_TITLE, HOSTILE_SERVICE
    decision_rules.apply(state, d.Acknowledge(by=HOSTILE_NAME), state.detected_at + timedelta(minutes=1))
    return state


def hostile_scorecard(policy):
    """The friends-list drill's scorecard of `hostile_incident`, with a hostile description and note."""
    loaded = load_scenario(DRILLS / "friends-list-sev2.yaml")
    state = hostile_incident(policy)
    state.note(state.detected_at + timedelta(minutes=2), "note", HOSTILE_NAME, "line one\n\x1b[31mline two")
    return scorecard(loaded.scenario.model_copy(update={"description": HOSTILE_TITLE}), state,
                     state.started_at, policy)


def only_colours_and_literal_text(output: str) -> str:
    """`output` without Rich's colours, once checked to hold no other escape and no bell or bidi control."""
    escapes = {m.group() for m in re.finditer(r"\x1b[^a-zA-Z]*[a-zA-Z]?", output)}
    assert all(RICH_COLOURS.fullmatch(e) for e in escapes), f"terminal escapes printed: {escapes}"
    text = RICH_COLOURS.sub("", output)
    assert "\x07" not in text and "\u202e" not in text and "\x9b" not in text
    return text
