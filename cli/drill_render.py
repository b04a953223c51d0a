"""A drill's scorecard for people: Rich in the terminal, Markdown for `--out`. Scenario and timeline text
goes through `plain` (terminal) and `markdown_text` (file): no escapes, markup, HTML or broken table rows."""

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cli.plain_text import plain_text as plain
from domain.common.markdown import markdown_text
from domain.drills.evaluation import ack_target, against, clock, span
from domain.drills.scorecard import Scorecard

__all__ = ["clock", "render_scorecard", "response_rows", "scorecard_markdown"]

# Repeating reminders would bury the story of a long drill: the terminal shows the first and a count.
REPEATING = ("comms_reminder", "checklist_nag")


def response_rows(card: Scorecard) -> list[tuple[str, str, str, str]]:
    t = card.targets
    mtta, mttr = card.mtta_seconds, card.mttr_seconds
    return [
        ("time to acknowledge", clock(mtta), ack_target(t), against(mtta, t.ack_limit_seconds)),
        ("time to mitigate", clock(card.mttm_seconds), "-", "-"),
        ("time to resolve", clock(mttr), "-" if t.mttr_seconds is None else span(t.mttr_seconds),
         against(mttr, t.mttr_seconds)),
    ]


def participant_rows(card: Scorecard) -> list[list[str]]:
    return [[p.person, ", ".join(r.value for r in p.roles) or "-", str(p.decisions),
             clock(p.first_action_at_seconds), clock(p.acknowledged_at_seconds), p.evaluation]
            for p in card.participants]


PARTICIPANT_COLUMNS = ["person", "roles", "decisions", "first action", "acknowledged", "evaluation"]


def _verdict(card: Scorecard) -> str:
    if not card.expectations:
        return "no expectations"
    failed = sum(not e.passed for e in card.expectations)
    return "PASSED" if not failed else f"FAILED ({failed} of {len(card.expectations)} expectations)"


def _summary(card: Scorecard) -> str:
    wall = f" in {card.wall_seconds:.2f}s" if card.wall_seconds is not None else ""
    mode = "instant" if card.mode == "instant" else f"live ×{card.speed:g}"
    return (f"{card.severity.value} · final phase {card.final_phase.value} · "
            f"{clock(card.duration_seconds).removeprefix('T+')} of scenario time{wall} ({mode}) · "
            f"incident {card.incident_id}")


def render_scorecard(card: Scorecard, console: Console) -> None:
    style = "green" if card.passed else "red"
    console.print(Panel(Text.assemble(plain(card.description, "", multiline=True), "\n", plain(_summary(card))),
                        title=Text.assemble("Drill ", plain(card.name), f": {_verdict(card)}"), border_style=style))
    pages = Table(title="Pages", title_justify="left")
    for column in ("at", "tier", "target", "reason"):
        pages.add_column(column)
    for p in card.pages:
        pages.add_row(clock(p.at_seconds), p.tier.value, plain(p.target), plain(p.reason))
    console.print(pages)
    if card.escalations:
        escalations = Table(title="Escalations", title_justify="left")
        for column in ("at", "rule", "tier", "result"):
            escalations.add_column(column)
        for e in card.escalations:
            escalations.add_row(clock(e.at_seconds), plain(e.rule), e.tier.value,
                                "paged" if e.paged else "already engaged")
        console.print(escalations)
    times = Table(title="Response against the policy", title_justify="left")
    for column in ("measure", "actual", "target", ""):
        times.add_column(column)
    for row in response_rows(card):
        times.add_row(*row)
    console.print(times)
    console.print("Phases: " + " → ".join(f"{p.phase.value} {clock(p.at_seconds)}" for p in card.phases))
    checklist = Table(title="Checklist", title_justify="left")
    for column in ("", "item", "done", "due", "by"):
        checklist.add_column(column)
    for c in card.checklist:
        mark = "[red]late[/]" if c.late else "[green]✓[/]"
        checklist.add_row(mark, Text.assemble(plain(c.text), " ", (f"({c.item})", "dim")), clock(c.done_at_seconds),
                          clock(c.due_seconds), plain(c.by))
    console.print(checklist)
    if card.simulated_steps:
        console.print(plain("Simulated runbook steps: " + "; ".join(
            f"{step}: {' → '.join(results)}" for step, results in card.simulated_steps.items())))
    timeline = Table(title="Timeline", title_justify="left")
    for column in ("at", "kind", "actor", "text"):
        timeline.add_column(column)
    shown: set[str] = set()
    hidden = 0
    for t in card.timeline:
        if t.kind in REPEATING and t.kind in shown:
            hidden += 1
            continue
        shown.add(t.kind)
        timeline.add_row(clock(t.at_seconds), t.kind, plain(t.actor), plain(t.text, multiline=True))
    console.print(timeline)
    if hidden:
        console.print(f"[dim]({hidden} more reminders not shown; --json or --out has the full timeline)[/]")
    if card.participants:
        people = Table(title="Participants", title_justify="left")
        for column in PARTICIPANT_COLUMNS:
            people.add_column(column)
        for row in participant_rows(card):  # names come from whoever decided
            people.add_row(*(plain(cell) for cell in row))
        console.print(people)
    if card.expectations:
        expectations = Table(title="Expectations", title_justify="left")
        for column in ("", "what", "expected", "actual"):
            expectations.add_column(column)
        for e in card.expectations:
            expectations.add_row("[green]✓[/]" if e.passed else "[red]✗[/]", plain(e.what), plain(e.expected),
                                 plain(e.actual))
        console.print(expectations)


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return markdown_text(str(text))

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def scorecard_markdown(card: Scorecard) -> str:
    lines = [f"# Drill {markdown_text(card.name)}: {_verdict(card)}", "", markdown_text(card.description), "",
             markdown_text(_summary(card)), ""]
    lines += ["## Pages", ""] + _md_table(
        ["at", "tier", "target", "reason"],
        [[clock(p.at_seconds), p.tier.value, p.target or "-", p.reason] for p in card.pages])
    lines += ["## Escalations", ""] + _md_table(
        ["at", "rule", "tier", "result"],
        [[clock(e.at_seconds), e.rule, e.tier.value, "paged" if e.paged else "already engaged"]
         for e in card.escalations])
    lines += ["## Response against the policy", ""] + _md_table(
        ["measure", "actual", "target", ""], [list(r) for r in response_rows(card)])
    lines += ["## Phases", ""] + _md_table(["phase", "at"], [[p.phase.value, clock(p.at_seconds)] for p in card.phases])
    lines += ["## Checklist", ""] + _md_table(
        ["", "item", "done", "due", "by"],
        [["late" if c.late else "✓", f"{c.text} ({c.item})", clock(c.done_at_seconds), clock(c.due_seconds),
          c.by or "-"] for c in card.checklist])
    if card.simulated_steps:
        lines += ["## Simulated runbook steps", ""] + [
            markdown_text(f"- {step}: {' → '.join(results)}") for step, results in card.simulated_steps.items()] + [""]
    if card.participants:
        lines += ["## Participants", ""] + _md_table(PARTICIPANT_COLUMNS, participant_rows(card))
    if card.expectations:
        lines += ["## Expectations", ""] + _md_table(
            ["", "what", "expected", "actual"],
            [["✓" if e.passed else "✗", e.what, e.expected, e.actual] for e in card.expectations])
    lines += ["## Timeline", ""] + _md_table(
        ["at", "kind", "actor", "text"], [[clock(t.at_seconds), t.kind, t.actor, t.text] for t in card.timeline])
    return "\n".join(lines).rstrip() + "\n"
