"""The outbox rows this replica queued and has not settled yet, in memory: what a delivery can take without
reading them back from the database (the request that inserted a row already has it).

Memory is only trusted where it is certainly the whole truth. The database stays the record: a key whose
rows the database may hold more of than memory knows (rows taken over from another replica, a delete that
failed, a withdrawal that could not be written) is read from the database until a read finds none of it
left; and a row older than its first lease may have been taken over by another replica meanwhile, so a key
with such a row is read from the database too (which then owns that row: memory forgets it)."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from gateway.outbox import OutboxRow


@dataclass(frozen=True)
class _Held:
    row: OutboxRow
    leased_until: float  # monotonic: before then nobody else can have claimed the row


class Pending:
    def __init__(self, lease: timedelta, clock: Callable[[], float] = time.monotonic):
        self.lease = lease.total_seconds()
        self.clock = clock
        self._rows: dict[str, dict[int, _Held]] = {}
        self._doubted: set[str] = set()

    def began_insert(self) -> float:
        """Call just before the insert: its lease runs until at least this + the lease."""
        return self.clock() + self.lease

    def add(self, row: OutboxRow, leased_until: float) -> None:
        self._rows.setdefault(row.key, {})[row.id] = _Held(row, leased_until)

    def rows(self, key: str) -> list[OutboxRow] | None:
        """The key's rows held here, oldest first, when memory knows all of them; None: read the database."""
        if key in self._doubted:
            return None
        held = self._rows.get(key, {})
        now = self.clock()
        if any(h.leased_until <= now for h in held.values()):
            return None
        return [held[i].row for i in sorted(held)]

    def read_from_database(self, key: str, rows: list[OutboxRow]) -> None:
        """The database answered for the key: it owns every row whose first lease ran out; when it holds none
        of the key's rows, memory knows the key again."""
        held = self._rows.get(key, {})
        now = self.clock()
        for row_id in [i for i, h in held.items() if h.leased_until <= now]:
            del held[row_id]
        if not held:
            self._rows.pop(key, None)
        if not rows:
            self._doubted.discard(key)

    def settle(self, key: str, ids: Iterable[int]) -> None:
        """Delivered or withdrawn: no longer pending here."""
        held = self._rows.get(key)
        if held is None:
            return
        for row_id in ids:
            held.pop(row_id, None)
        if not held:
            del self._rows[key]

    def doubt(self, key: str) -> None:
        """The database may hold rows of the key that memory does not: read it next time."""
        self._doubted.add(key)

    def claimed(self, held: dict[str, set[int]]) -> None:
        """What the database says this replica holds: a key with a row memory does not know is doubted."""
        for key, ids in held.items():
            known = self._rows.get(key, {})
            if any(i not in known for i in ids):
                self.doubt(key)
