"""YAML files as the policy and runbook loaders read them.

Parsed with libyaml when PyYAML was built with it (the wheels are): the pure-Python parser took ~10 ms of the
worker's event loop for the runbook directory, once per incident (docs/performance.md). Same safe constructor,
same documents, same error marks. `versions` says whether a cached parse of some files is still current."""

from collections.abc import Iterable
from pathlib import Path

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> object:
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader (libyaml's when available)


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
