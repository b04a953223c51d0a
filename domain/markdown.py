"""Untrusted text (alert titles, labels, notes) placed into a Markdown document such as the postmortem draft."""

import re

_SPECIAL = re.compile(r"([\\`\[\]|])")
_BLOCK_START = re.compile(r"^(\s*)([#>])")


def markdown_text(value: str) -> str:
    """One line of literal text: no raw HTML, links, images, code spans, table-cell breaks or headings.
    `*` and `_` are left alone (emphasis is harmless, and ids and URLs stay readable)."""
    text = " ".join(value.splitlines())
    text = _SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")
    return _BLOCK_START.sub(r"\1\\\2", text)


def markdown_values(value):
    """`markdown_text` applied to every string in a JSON-like structure (dict keys included)."""
    if isinstance(value, str):
        return markdown_text(value)
    if isinstance(value, dict):
        return {markdown_values(k) if isinstance(k, str) else k: markdown_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(markdown_values(v) for v in value)
    return value
