"""YAML files as the policy and runbook loaders read them.

Parsed with libyaml when PyYAML was built with it (the wheels are): the worker parses on its event loop, and the
pure-Python parser is much slower (docs/performance.md). Same safe constructor, same documents, same error marks.
`read` turns every way a file can be unreadable into one problem line naming the file and where; `ParsedOnce`
keeps a parse while the `versions` of its files stay the same."""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

import yaml

T = TypeVar("T")

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnreadableFile(ValueError):
    """A file that is missing, unreadable, not UTF-8 or not YAML; the message is `file: where: what`."""


def read(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: (file): not found") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: (file): {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: byte {exc.start}: not UTF-8 text ({exc.reason})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise UnreadableFile(f"{path}: {where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None


def versions(paths: Iterable[Path]) -> tuple:
    """(mtime, size, inode) of each path, None for a missing one: an edit, a replacement or a removal changes it."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
            found.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            found.append(None)
    return tuple(found)


class ParsedOnce(Generic[T]):
    """One parse per key (a directory), reused while the versions of its files are unchanged."""

    def __init__(self) -> None:
        self._parsed: dict[Path, tuple[tuple, T]] = {}

    def get(self, key: Path, files: Iterable[Path], parse: Callable[[], T]) -> T:
        current = versions(files)
        cached = self._parsed.get(key)
        if cached is not None and cached[0] == current:
            return cached[1]
        value = parse()  # raises for a broken file: nothing is kept, the next call parses again
        self._parsed[key] = (current, value)
        return value
