"""Untrusted text (titles, services, names, notes, alert labels) made safe to print on a terminal: nothing in
it can move the cursor, clear the screen, retitle the window, ring the bell or reorder what follows it."""

import re

# Whole escape sequences go, not only their ESC byte, so "\x1b[2J" leaves no "[2J" behind (ECMA-48 shapes).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: window title, hyperlinks, clipboard
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # the other escapes (charset switches, RIS reset, …)
)
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# C0 and DEL and C1, and the bidi controls that make a terminal show text in another order than it was written
_CONTROL = r"\x00-\x08\x0e-\x1b\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ONE_LINE_JUNK = re.compile(f"[{_CONTROL}\t]")
_BLOCK_JUNK = re.compile(f"[{_CONTROL}]")


def terminal_text(value: str, *, multiline: bool = False) -> str:
    """`value` with every escape sequence and control character removed. One line by default (line breaks
    and tabs become spaces: table cells, headers); `multiline=True` keeps newlines (as \\n) and tabs."""
    text = _ESCAPE_SEQUENCE.sub("", str(value))
    if multiline:
        return _BLOCK_JUNK.sub("", _LINE_BREAK.sub("\n", text))
    return _ONE_LINE_JUNK.sub(lambda m: " " if m.group() == "\t" else "", _LINE_BREAK.sub(" ", text))
