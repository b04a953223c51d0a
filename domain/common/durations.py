"""Durations written the way people write them in YAML: `15m`, `1h`, `48h`, `1w`, `90s`."""

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?[smhdw])+$")


def parse_duration(text: str) -> timedelta:
    """Parse `1h30m`-style text; raises ValueError naming the accepted form."""
    compact = text.strip().replace(" ", "")
    if compact in ("0", "immediate"):
        return timedelta(0)
    if not _WHOLE.match(compact):
        raise ValueError(f"invalid duration {text!r}: use a number and a unit s/m/h/d/w, e.g. 15m, 1h, 48h")
    total = timedelta(0)
    for amount, unit in _PART.findall(compact):
        total += timedelta(**{_UNITS[unit]: float(amount)})
    return total


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0m"
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce(value: object) -> object:
    # ISO-8601 strings ("PT15M") and numbers of seconds are left to pydantic's own timedelta parsing.
    if isinstance(value, str) and not value.startswith(("P", "-P")):
        return parse_duration(value)
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


def minutes_text(delta: timedelta, *, hours: bool = True, under_a_minute: str = "0m") -> str:
    """Whole minutes as people read them in a reason: `20m`, whole hours as `2h` (unless `hours=False`);
    under a minute, `under_a_minute` with `{seconds}` filled in."""
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return under_a_minute.format(seconds=int(delta.total_seconds()))
    return f"{minutes // 60}h" if hours and minutes % 60 == 0 else f"{minutes}m"
