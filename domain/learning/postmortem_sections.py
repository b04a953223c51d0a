"""Which required sections of a postmortem draft still hold only the template's text (docs/learning-loop.md,
"Publishing"): publishing such a draft asks for `--force` and names them."""

import re

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}|\{%.*?%\}")
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_HINT = re.compile(r"^\(.*\)$")  # a parenthesised hint, the template's way of saying "fill this in"


def sections(markdown: str) -> dict[str, list[str]]:
    """Each `## ` heading's lines (its `###` subsections included), by heading text."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return found


def template_lines(template: str) -> dict[str, set[str]]:
    """Per section, the lines the template itself writes: its literal lines and the quoted fallbacks of its
    expressions (`{{ incident.summary or "(2–3 sentences…)" }}`)."""
    text = _COMMENT.sub("", template)
    lines: dict[str, set[str]] = {}
    for heading, body in sections(text).items():
        own = set()
        for line in body:
            if "{{" in line or "{%" in line:
                for expression in _EXPRESSION.findall(line):
                    own.update(a or b for a, b in _QUOTED.findall(expression))
            else:
                own.add(line.strip())
        lines[heading] = {line for line in own if line}
    return lines


def unfilled(markdown: str, template: str, required: list[str]) -> list[str]:
    """The required sections that are missing, empty, or hold nothing but the template's text and hints."""
    draft, written_by_template = sections(markdown), template_lines(template)
    left = []
    for heading in required:
        body = [line.strip() for line in draft.get(heading, []) if line.strip()]
        own = written_by_template.get(heading, set())
        if all(line in own or _HINT.match(line) for line in body):
            left.append(heading)
    return left
