"""Untrusted text (alert titles, labels, notes) placed into a Markdown document such as the postmortem draft
or the weekly review."""

import re

from domain.common.text import terminal_text

_SPECIAL = re.compile(r"([\\`\[\]|])")
_BLOCK_START = re.compile(r"^(\s*)([#>])")
_PLAIN_ID = re.compile(r"[\w.:@/-]+")


def markdown_text(value: str) -> str:
    """One line of literal text: no raw HTML, links, images, code spans, table-cell breaks, headings or
    terminal escapes (the file is read with `cat` too). `*` and `_` are left alone (emphasis is harmless, and
    ids and URLs stay readable)."""
    text = terminal_text(value)
    text = _SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")
    return _BLOCK_START.sub(r"\1\\\2", text)


def markdown_code(value: str) -> str:
    """An id as a code span; anything an id would not hold (a backtick, a `|` in a table) as escaped text,
    since a code span cannot escape either."""
    return f"`{value}`" if _PLAIN_ID.fullmatch(value) else markdown_text(value)


def markdown_values(value):
    """`markdown_text` applied to every string in a JSON-like structure (dict keys included)."""
    if isinstance(value, str):
        return markdown_text(value)
    if isinstance(value, dict):
        return {markdown_values(k) if isinstance(k, str) else k: markdown_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(markdown_values(v) for v in value)
    return value
