"""Hostile titles, services and names in what people read: the weekly review's Markdown keeps its tables and
carries no HTML or terminal escapes; `incident show`/`list` and a drill's scorecard print them literally (no
screen clear, no window title, no reordering, no Rich markup)."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.console import Console

import cli.render
from activities.reports import write_report
from cli.drill_render import render_scorecard, scorecard_markdown
from cli.drill_runner import load_scenario
from domain import decisions as d
from domain.drill import scorecard
from domain.reports import parse_period
from domain.text import terminal_text
from tests.learning_fixture import NOW, PERIOD, fixture_states

# Screen clear, window title (OSC 0), a right-to-left override, a bell, a C1 CSI and Rich markup.
HOSTILE_TITLE = "[red]Pay[/red] \x1b[2J\x1b]0;pwned\x07<script>x</script> | a\nb \u202eevil\x07 \x9b2J"
HOSTILE_SERVICE = "pay|ments\n| forged | row |"
HOSTILE_NAME = "[bold]mallory\x1b[8m"
# The only escapes left in a terminal's output are Rich's own colours (SGR: ESC [ … m).
RICH_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
DRILLS = Path(__file__).resolve().parent.parent / "drills"


def _lines_of_table(markdown: str, heading: str) -> list[str]:
    section = markdown.split(f"## {heading}\n\n", 1)[1]
    return section.split("\n\n", 1)[0].splitlines()


def test_the_weekly_review_escapes_what_senders_and_people_wrote(ledger, policy, tmp_path):
    states = fixture_states(policy)
    states["E"].title, states["E"].service = HOSTILE_TITLE, HOSTILE_SERVICE
    for state in states.values():
        ledger.record_incident(state, "fixture", state.detected_at)
    ledger.add_action("E", "<img src=x onerror=alert(1)> | fix\nit", HOSTILE_NAME, date(2026, 11, 20), "short",
                      "minsu", NOW)

    written = write_report(ledger, policy, parse_period("weekly", PERIOD, policy.incident.timezone, NOW), tmp_path,
                           NOW)
    md = (tmp_path / "incident-review-2026-W47.md").read_text(encoding="utf-8")

    assert md == written.markdown
    assert "<script>" not in md and "<img" not in md and "&lt;script>x&lt;/script>" in md
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", md), "control characters reached the report"
    incidents = _lines_of_table(md, "Incidents")
    assert all(len(UNESCAPED_PIPE.findall(line)) == 12 for line in incidents), incidents
    assert any(r"\[red\]Pay\[/red\] " in line and r"x&lt;/script> \| a b evil" in line for line in incidents)
    services = _lines_of_table(md, "By service")
    assert all(len(UNESCAPED_PIPE.findall(line)) == 4 for line in services), services
    assert r"| pay\|ments \| forged \| row \| | 1 | – |" in services
    overdue = next(line for line in md.splitlines() if line.startswith("  - overdue"))
    assert overdue.endswith(r"&lt;img src=x onerror=alert(1)> \| fix it — @\[bold\]mallory, due 2026-11-20")


def _terminal(monkeypatch) -> io.StringIO:
    """The operator's terminal: a wide colour tty, so Rich's own escapes are there and markup would show."""
    screen = io.StringIO()
    monkeypatch.setattr(cli.render, "console", Console(file=screen, force_terminal=True, width=400))
    return screen


def _hostile_incident(policy):
    state = fixture_states(policy)["D"]
    state.title, state.service = HOSTILE_TITLE, HOSTILE_SERVICE
    d.apply(state, d.Acknowledge(by=HOSTILE_NAME), state.detected_at + timedelta(minutes=1))
    return state


def _only_colours_and_literal_text(output: str) -> str:
    escapes = {m.group() for m in re.finditer(r"\x1b[^a-zA-Z]*[a-zA-Z]?", output)}
    assert all(RICH_COLOURS.fullmatch(e) for e in escapes), f"terminal escapes printed: {escapes}"
    text = RICH_COLOURS.sub("", output)
    assert "\x07" not in text and "\u202e" not in text and "\x9b" not in text
    return text


def test_incident_show_prints_a_hostile_title_literally(monkeypatch, policy):
    screen = _terminal(monkeypatch)
    cli.render.render_incident(_hostile_incident(policy))
    text = _only_colours_and_literal_text(screen.getvalue())
    assert "[red]Pay[/red] <script>x</script> | a b evil 2J" in text  # markup shown, not applied
    assert "service: pay|ments | forged | row |" in text and "[bold]mallory" in text


def test_incident_list_prints_a_hostile_title_literally(monkeypatch, policy):
    screen = _terminal(monkeypatch)
    drill = fixture_states(policy)["F"]
    cli.render.render_list([_hostile_incident(policy), drill])
    text = _only_colours_and_literal_text(screen.getvalue())
    assert "[red]Pay[/red] <script>x</script> | a b evil 2J" in text and "[bold]mallory" in text
    assert f"{drill.id} [drill]" in text  # Rich used to swallow the marker as a markup tag


@pytest.fixture
def hostile_scorecard(policy):
    loaded = load_scenario(DRILLS / "friends-list-sev2.yaml")
    state = _hostile_incident(policy)
    state.note(state.detected_at + timedelta(minutes=2), "note", HOSTILE_NAME, "line one\n\x1b[31mline two")
    return scorecard(loaded.scenario.model_copy(update={"description": HOSTILE_TITLE}), state,
                     state.started_at, policy)


def test_drill_scorecard_prints_hostile_text_literally(hostile_scorecard):
    screen = io.StringIO()
    render_scorecard(hostile_scorecard, Console(file=screen, force_terminal=True, width=400))
    text = _only_colours_and_literal_text(screen.getvalue())
    assert "[red]Pay[/red] <script>x</script> | a" in text and "b evil 2J" in text  # the description keeps lines
    assert "[bold]mallory acknowledged" in text and "line two" in text


def test_drill_scorecard_markdown_escapes_hostile_text(hostile_scorecard):
    md = scorecard_markdown(hostile_scorecard)
    assert "<script>" not in md and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", md)
    timeline = _lines_of_table(md, "Timeline")
    assert all(len(UNESCAPED_PIPE.findall(line)) == 5 for line in timeline), timeline


@pytest.mark.parametrize(("written", "shown"), [
    ("a\x1b[2Jb", "ab"),  # CSI: screen clear, colours, cursor moves
    ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
    ("\x1bPq#0;2;0;0;0\x1b\\ok", "ok"),  # DCS (sixel)
    ("x\u202e\u2066y\u200f", "xy"),  # bidi overrides and isolates
    ("bell\x07nul\x00del\x7fc1\x85", "bellnuldelc1 "),
    ("first\r\nsecond\ttab", "first second tab"),
    ("결제 실패 👩\u200d💻", "결제 실패 👩\u200d💻"),  # text and emoji joiners stay
])
def test_terminal_text_keeps_what_people_wrote_and_nothing_that_drives_the_terminal(written, shown):
    assert terminal_text(written) == shown


def test_terminal_text_can_keep_lines_and_tabs():
    assert terminal_text("one\r\ntwo\tcol\x1b[2K\u2028three", multiline=True) == "one\ntwo\tcol\nthree"
