"""Untrusted text (titles, services, names, alert labels, timeline lines) for Rich output: shown as written,
minus what would drive the terminal (domain.common.text.terminal_text), and never read as Rich markup or emoji codes."""

from rich.text import Text

from domain.common.text import terminal_text


def plain_text(value: str | None, default: str = "-", multiline: bool = False) -> Text:
    """A Rich `Text` (Rich renders it literally: a title `[red]` prints `[red]`); `default` for None or ""."""
    return Text(terminal_text(value, multiline=multiline) if value else default)
