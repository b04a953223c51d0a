"""Hostile titles, services and names in what people read: the weekly review's Markdown keeps its tables and
carries no HTML or terminal escapes; `incident show`/`list` and a drill's scorecard print them literally (no
screen clear, no window title, no reordering, no Rich markup); JSON output escapes C1 and bidi controls.
Hostile text is testkit/hostile_text.py; the other commands are test_output_escaping_commands.py."""

import io
import json
import re
from datetime import date

import pytest
from rich.console import Console

import cli.render
from adapters.report_files import write_report
from cli.drill_render import render_scorecard, scorecard_markdown
from domain.common.text import terminal_text
from domain.learning.reports import parse_period
from testkit.hostile_text import (
    HOSTILE_NAME,
    HOSTILE_SERVICE,
    HOSTILE_TITLE,
    hostile_incident,
    only_colours_and_literal_text,
)
from testkit.learning import NOW, PERIOD, fixture_states

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


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


def test_incident_show_prints_a_hostile_title_literally(monkeypatch, policy):
    screen = _terminal(monkeypatch)
    cli.render.render_incident(hostile_incident(policy))
    text = only_colours_and_literal_text(screen.getvalue())
    assert "[red]Pay[/red] <script>x</script> | a b evil 2J" in text  # markup shown, not applied
    assert "service: pay|ments | forged | row |" in text and "[bold]mallory" in text


def test_incident_list_prints_a_hostile_title_literally(monkeypatch, policy):
    screen = _terminal(monkeypatch)
    drill = fixture_states(policy)["F"]
    cli.render.render_list([hostile_incident(policy), drill])
    text = only_colours_and_literal_text(screen.getvalue())
    assert "[red]Pay[/red] <script>x</script> | a b evil 2J" in text and "[bold]mallory" in text
    assert f"{drill.id} [drill]" in text  # Rich used to swallow the marker as a markup tag


def test_drill_scorecard_prints_hostile_text_literally(hostile_scorecard):
    screen = io.StringIO()
    render_scorecard(hostile_scorecard, Console(file=screen, force_terminal=True, width=400))
    text = only_colours_and_literal_text(screen.getvalue())
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


def test_json_output_writes_c1_and_bidi_controls_as_escapes_and_stays_the_same_json(capsys):
    from cli.common import print_json

    value = {"title": "결제 \x9b2J\x1b[2J\u202eevil\x85"}
    print_json(value)
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\x9b\x1b\u202e\x85")
    assert "결제" in out and json.loads(out) == value
