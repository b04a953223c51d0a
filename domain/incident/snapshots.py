"""One instance per distinct snapshot in a process.

Every open incident keeps the policy and runbook snapshots it started with: a worker holding many incidents
started under the same files keeps one copy of each instead of one per incident (docs/performance.md). Sharing
is safe because snapshots are never changed in place: the policy is frozen, and drills derive new objects rather
than editing the shared one.
"""

import hashlib
import weakref
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_shared: "weakref.WeakValueDictionary[tuple[str, str], BaseModel]" = weakref.WeakValueDictionary()


def shared(snapshot: M) -> M:
    """An equal instance already held in this process, or `snapshot` itself (which is then the shared one)."""
    key = (type(snapshot).__qualname__, hashlib.sha256(snapshot.model_dump_json().encode()).hexdigest())
    return _shared.setdefault(key, snapshot)
