"""A pydantic ValidationError as `file: path.to.field: reason` lines, the form every loader and the CLI print
(docs/reliability.md, "R4 — fuzzing")."""

from collections.abc import Callable

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# (path parts, reason, pydantic's error) -> where and how to report it instead (see domain/drills/scenario.py)
Relocate = Callable[[list[str], str, ErrorDetails], tuple[list[str], str]]


def location_part(part: object) -> str:
    """A key as written, quoted when it would be invisible or ambiguous in a `file: path: reason` line."""
    text = str(part)
    return text if text and text.isprintable() and text == text.strip() and ":" not in text else repr(text)


def describe_errors(source: str | None, error: ValidationError, prefix: str = "",
                    relocate: Relocate | None = None) -> list[str]:
    """One `source: path: reason` line per problem (`path: reason` without a source); `prefix` comes before
    every path, `(top)` stands for the document itself."""
    lines = []
    for item in error.errors():
        path = [location_part(part) for part in ([prefix] if prefix else []) + list(item["loc"])]
        reason = item["msg"].removeprefix("Value error, ")
        if relocate is not None:
            path, reason = relocate(path, reason, item)
        where = f"{'.'.join(path) or '(top)'}: {reason}"
        lines.append(where if source is None else f"{source}: {where}")
    return lines
